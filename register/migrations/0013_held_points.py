"""What the register holds where (HeldPoint): the area headroom's read off one GiST index on
(point, period), PostgreSQL only (register.services.held_points); the rows made from the records
already held. The operator classes are built in (no extension)."""

from django.db import migrations, models

from register.services.held_points import WHERE_INDEX, held_points_rebuild


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The rows of the records already held, by the current code (only when there are any: a
    # fresh database runs this before later migrations' columns exist), and the index.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM register_recordrevision LIMIT 1")
        found = cursor.fetchone()
    if found:
        held_points_rebuild()
    else:
        schema_editor.execute(WHERE_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS register_held_point_where")


class Migration(migrations.Migration):

    dependencies = [
        ('register', '0012_grid_holdings'),
    ]

    operations = [
        migrations.CreateModel(
            name='HeldPoint',
            fields=[
                ('pk', models.CompositePrimaryKey('record_id', 'spu_id', 'membership_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('record_id', models.BigIntegerField()),
                ('spu_id', models.BigIntegerField(verbose_name='SPU')),
                ('membership_id', models.BigIntegerField(verbose_name='membership')),
                ('spg_id', models.BigIntegerField(null=True, verbose_name='SPG')),
                ('longitude', models.FloatField(verbose_name='longitude')),
                ('latitude', models.FloatField(verbose_name='latitude')),
                ('kind', models.CharField(choices=[('award', 'Award'), ('activation', 'Activation')], max_length=10, verbose_name='kind')),
                ('direction', models.CharField(choices=[('up', 'Up'), ('down', 'Down'), ('both', 'Up and down')], max_length=4, verbose_name='direction')),
                ('quantity_mw', models.DecimalField(decimal_places=3, max_digits=10, verbose_name='quantity (MW)')),
                ('product_id', models.BigIntegerField(verbose_name='product')),
                ('period_start', models.DateTimeField(verbose_name='start')),
                ('period_end', models.DateTimeField(verbose_name='end')),
            ],
            options={
                'indexes': [models.Index(fields=['spu_id'], name='register_held_point_spu'), models.Index(condition=models.Q(('spg_id__isnull', False)), fields=['spg_id'], name='register_held_point_spg')],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
