from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0005_undated_first"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="editor_ids",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
    ]
