"""A GiST index on the connection points' location (PostgreSQL): the headroom of an area limit.

An area limit's headroom (limits.activation.headroom, register.selectors_held.held_in_box)
reads what is held at the points inside the area's bounding box. Without an index on the
location every connection point was read for each such check (a sequential scan of 10,000
points took 2 ms at the headroom bench's quick scale; SPEC §7's scale has 1,000,000); with it,
the points in the box come off the index (0.3 ms for the whole read). On the connection point
table (observability's), made here because the register's read is its only user; the operator
class is built in (no extension). SQLite has no such index.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS register_point_location ON observability_connectionpoint
USING gist (point(longitude, latitude))
"""
DROP = "DROP INDEX IF EXISTS register_point_location"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("register", "0010_grid_slots")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
