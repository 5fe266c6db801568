"""A GiST index for area limits on PostgreSQL: (bounding box, period).

The activation check looks for the area limits whose box contains the connection point and
whose period overlaps the check's. The B-tree `limit_area_end` can only narrow that to the
areas not yet ended and west of the point (hundreds at national scale, more as years of
limits accumulate); the GiST index finds the few that contain the point in the period.
Both operator classes are built into PostgreSQL (no extension). SQLite keeps the B-tree.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS limit_area_box_period ON limits_temporarylimit USING gist (
    box(point(min_lon, min_lat), point(max_lon, max_lat)),
    tstzrange(start, "end")
) WHERE target_kind = 'area'
"""
DROP = "DROP INDEX IF EXISTS limit_area_box_period"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("limits", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
