"""A rule set cannot shrink by accident: an emptied or deleted pack file, or a rule dropped from a
pack, is refused unless the removal is named (``--remove``), and the set in force stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from compliance import engine
from compliance.models import AuditEvent, AuditEventType, RuleSet
from compliance.services import ruleset_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    folder = tmp_path / "rulepacks"
    shutil.copytree(settings.COMPLIANCE["RULEPACK_DIR"], folder)
    return folder


def _in_force() -> tuple[str, int]:
    ruleset = RuleSet.objects.get(is_active=True)
    return ruleset.version, ruleset.rules.count()


def _load(folder: Path, *args: str) -> None:
    call_command("load_rulepacks", "--dir", str(folder), *args)


def _drop_first_rule(pack: Path) -> str:
    rules = yaml.safe_load(pack.read_text(encoding="utf-8"))
    dropped = rules.pop(0)["code"]
    pack.write_text(yaml.safe_dump(rules, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dropped


def test_an_emptied_pack_file_is_refused_and_the_set_in_force_stays(rules, packs):
    before = _in_force()
    (packs / "eu.yaml").write_text("# emptied by mistake\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"eu\.yaml: the pack has no rules") as refused:
        _load(packs)
    assert "the rule set in force is unchanged" in str(refused.value)
    (packs / "eu.yaml").write_text("[]\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"eu\.yaml: the pack has no rules"):
        _load(packs)
    assert _in_force() == before
    assert RuleSet.objects.count() == 1


def test_a_missing_pack_file_is_refused_naming_the_file_and_its_rules(rules, packs):
    before = _in_force()
    kr_codes = set(rules.rules.filter(pack="kr.yaml").values_list("code", flat=True))
    assert kr_codes
    (packs / "kr.yaml").unlink()
    with pytest.raises(CommandError) as refused:
        _load(packs)
    message = str(refused.value)
    assert "kr.yaml: a required rule pack file is missing" in message
    for code in kr_codes:
        assert (
            f"kr.yaml: rule {code}: a rule in force is not in the packs (its file is missing)"
            in (message)
        )
    assert _in_force() == before
    # Naming its rules does not make a required file optional.
    with pytest.raises(CommandError, match="required rule pack file is missing"):
        _load(packs, "--remove", *sorted(kr_codes))
    assert _in_force() == before


def test_a_first_load_without_a_jurisdiction_is_refused(db):
    texts = engine.read_rule_pack_dir(settings.COMPLIANCE["RULEPACK_DIR"])
    del texts["us.yaml"]
    with pytest.raises(
        engine.RulePackError, match=r"us\.yaml: a required rule pack file is missing"
    ):
        ruleset_load(texts=texts)
    assert not RuleSet.objects.exists()


def test_a_dropped_rule_is_refused_unless_named_and_its_removal_is_audited(rules, packs):
    before = _in_force()
    dropped = _drop_first_rule(packs / "us.yaml")
    with pytest.raises(CommandError, match=rf"us\.yaml: rule {dropped}: a rule in force is not in"):
        _load(packs)
    assert _in_force() == before
    # A removal must name exactly what goes: a rule still in the packs is refused too.
    kept = rules.rules.exclude(code=dropped).values_list("code", flat=True).first()
    with pytest.raises(CommandError, match=rf"--remove: rule {kept}: named for removal, but it is"):
        _load(packs, "--remove", dropped, kept)
    with pytest.raises(CommandError, match="NO-SUCH-RULE: named for removal, but it is not a rule"):
        _load(packs, "--remove", dropped, "NO-SUCH-RULE")
    assert _in_force() == before

    _load(packs, "--remove", dropped, "--note", "superseded by the 2026 rule")
    version, count = _in_force()
    assert version != before[0] and count == before[1] - 1
    event = AuditEvent.objects.filter(event_type=AuditEventType.RULESET_LOADED).latest("pk")
    assert event.new["removed_rules"] == [dropped]
    assert event.new["note"] == "superseded by the 2026 rule"


def test_a_stored_rule_set_with_an_empty_file_still_compiles_for_replay():
    # Refusing empty files is the loader's job; the engine must still read an older set that had
    # one, or its decisions could not be replayed.
    texts = engine.read_rule_pack_dir(settings.COMPLIANCE["RULEPACK_DIR"])
    packs = engine.load_rule_packs({**texts, "policy.yaml": "# no company policy yet\n"})
    assert not [r for r in packs.rules if r.source_file == "policy.yaml"]
