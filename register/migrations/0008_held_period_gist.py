"""A GiST index on the period of what is held (PostgreSQL): the headroom of an area limit.

An area limit's headroom (limits.activation.headroom, register.selectors_held.held_in_box)
needs the records that overlap the check's period anywhere in the area's box. The B-tree
indexes on (resource, start, end) serve a resource or a point; for an area the GiST index on
tstzrange(start, end) finds the records overlapping the period (a few market time units) among
a year of them. Made on the partitioned parent, so every month's partition, and every one
added later, has it. The operator class is built in (no extension). SQLite has no such index
(it reads the months concerned).
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS register_held_period ON register_recordrevision
USING gist (tstzrange(period_start, period_end)) WHERE is_current AND status = 'active'
"""
DROP = "DROP INDEX IF EXISTS register_held_period"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("register", "0007_conflict_holder_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
