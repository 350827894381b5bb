"""The letter lists what to bring from the procedure's checklist (reservations.guidance.bring_items), not from a
list of its own. A letter list the office had changed is carried over: each of its lines that the procedures'
checklists do not already hold is added to them. Photo lines are left out: the photo item is written from the
certificate kind's rule, with its size and the six months, wherever the list is shown."""

from django.db import migrations

OLD_DEFAULT = "写真（上記のとおり）\n今お持ちの証明書"


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def carry_over(apps, schema_editor):
    LetterTemplate = apps.get_model("notices", "LetterTemplate")
    Procedure = apps.get_model("reservations", "Procedure")
    template = LetterTemplate.objects.order_by("id").first()
    if template is None or _lines(template.what_to_bring) == _lines(OLD_DEFAULT):
        return
    extra = [line for line in _lines(template.what_to_bring) if not line.startswith("写真")]
    for procedure in Procedure.objects.all():
        have = _lines(procedure.what_to_bring)
        # "今お持ちの証明書" is already there when the checklist says "今お持ちの証明書（更新の場合）".
        added = [line for line in extra if not any(h == line or h.startswith(line + "（") for h in have)]
        if added:
            procedure.what_to_bring = "\n".join([*have, *added])
            procedure.save(update_fields=["what_to_bring"])


def carry_back(apps, schema_editor):
    """Going back, the letter's own list starts from the old default; the procedures keep what was added."""


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0007_batch_per_office"),
        ("reservations", "0010_override_messages"),
    ]

    operations = [
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="lettertemplate", name="what_to_bring"),
    ]
