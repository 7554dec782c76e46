from django.db import migrations, models


def backfill(apps, schema_editor):
    """Who recorded or changed each licence and who edited each visit, from the audit log, so the
    separation-of-duties policy applies to records made before these fields existed."""
    AuditEvent = apps.get_model("compliance", "AuditEvent")
    Licence = apps.get_model("compliance", "Licence")
    Visit = apps.get_model("dispatch", "Visit")
    suppliers: dict[int, list[dict]] = {}
    for object_id, actor_id, actor_name in (
        AuditEvent.objects.filter(event_type="licence_changed", object_type="compliance.Licence")
        .exclude(actor_id=None)
        .order_by("pk")
        .values_list("object_id", "actor_id", "actor_name")
    ):
        rows = suppliers.setdefault(int(object_id), [])
        if all(r["id"] != actor_id for r in rows):
            rows.append({"id": actor_id, "username": actor_name})
    for licence in Licence.objects.filter(pk__in=suppliers):
        licence.recorded_by = suppliers[licence.pk]
        licence.save(update_fields=["recorded_by"])
    editors: dict[int, list[int]] = {}
    for object_id, actor_id in (
        AuditEvent.objects.filter(event_type="visit_edited", object_type="dispatch.Visit")
        .exclude(actor_id=None)
        .order_by("pk")
        .values_list("object_id", "actor_id")
    ):
        ids = editors.setdefault(int(object_id), [])
        if actor_id not in ids:
            ids.append(actor_id)
    for visit in Visit.objects.filter(pk__in=editors):
        visit.editor_ids = [i for i in editors[visit.pk] if i != visit.requested_by_id]
        visit.save(update_fields=["editor_ids"])


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_access_changed_event"),
        ("dispatch", "0006_separation_of_duties"),
    ]

    operations = [
        migrations.AddField(
            model_name="licence",
            name="recorded_by",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
