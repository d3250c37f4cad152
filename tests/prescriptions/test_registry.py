"""The drug registry: the starter data, CSV import and export, the admin."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from dmed.roles import Role
from dmed.translit import search_key
from prescriptions.models import ControlledClass, Drug
from prescriptions.registry import RegistryImportError, export_drugs, import_drugs

HEADER = ("atc_code,inn,trade_names,dosage_form,strength,prescription_only,controlled_class,"
          "reimbursable,is_active\n")


@pytest.mark.django_db
def test_starter_registry_holds_common_medicines_with_atc_codes():
    assert Drug.objects.count() >= 100
    amoxicillin = Drug.objects.get(inn="Amoxicillin", strength="500 mg")
    assert amoxicillin.atc_code == "J01CA04"
    assert "Flemoxin Solutab" in amoxicillin.trade_name_list
    assert Drug.objects.get(inn="Metformin").atc_code == "A10BA02"
    assert Drug.objects.get(inn="Morphine").controlled_class == ControlledClass.NARCOTIC
    assert Drug.objects.get(inn="Diazepam").controlled_class == ControlledClass.PSYCHOTROPIC
    assert not Drug.objects.get(inn="Paracetamol", strength="500 mg").prescription_only


@pytest.mark.django_db
def test_import_creates_and_updates_by_inn_form_and_strength():
    report = import_drugs(io.StringIO(
        HEADER + "J01CA04,Amoxicillin,Flemoxin Solutab; Ospamox,capsule,500 mg,yes,none,no,yes\n"
        "L01XC07,Bevacizumab,Avastin,solution for infusion,25 mg/ml,yes,none,yes,yes\n"))
    assert (report.created, report.updated) == (1, 1)
    amoxicillin = Drug.objects.get(inn="Amoxicillin", strength="500 mg")
    assert amoxicillin.trade_names == "Flemoxin Solutab; Ospamox"
    assert not amoxicillin.reimbursable
    assert search_key("OSPAMOX") in amoxicillin.search_text
    assert Drug.objects.get(inn="Bevacizumab").atc_code == "L01XC07"


@pytest.mark.django_db
def test_a_bad_line_imports_nothing_and_every_problem_is_named_by_line():
    before = Drug.objects.count()
    with pytest.raises(RegistryImportError) as error:
        import_drugs(io.StringIO(
            HEADER + "L01XC07,Bevacizumab,Avastin,solution for infusion,25 mg/ml,yes,none,yes,yes\n"
            "J01,Nothing,,tablet,1 mg,yes,none,no,yes\n"
            "J01CA04,Amoxicillin,,lozenge,500 mg,maybe,opioid,no,yes\n"
            ",,,,,,,,\n"))
    text = "\n".join(error.value.errors)
    assert "3" in text and "4" in text and "5" in text
    assert len(error.value.errors) >= 4
    assert Drug.objects.count() == before
    assert not Drug.objects.filter(inn="Bevacizumab").exists()


@pytest.mark.django_db
def test_unknown_columns_are_refused():
    with pytest.raises(RegistryImportError):
        import_drugs(io.StringIO("name,code\nAspirin,B01AC06\n"))


@pytest.mark.django_db
def test_export_writes_every_drug_and_imports_back_unchanged():
    exported = "".join(export_drugs())
    lines = exported.splitlines()
    assert lines[0] == HEADER.strip()
    assert len(lines) == Drug.objects.count() + 1
    report = import_drugs(io.StringIO(exported))
    assert report.created == 0 and report.updated == Drug.objects.count()


@pytest.mark.django_db
def test_commands_export_and_import(tmp_path):
    target = tmp_path / "drugs.csv"
    call_command("export_drugs", output=str(target))
    assert "J01CA04" in target.read_text()
    out = io.StringIO()
    call_command("import_drugs", str(target), stdout=out)
    assert "0 created" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "X,Y,,tablet,1 mg,yes,none,no,yes\n")
    with translation.override("en"), pytest.raises(CommandError, match="Line 2"):
        call_command("import_drugs", str(bad))
    stdout = io.StringIO()
    call_command("export_drugs", stdout=stdout)
    assert stdout.getvalue().startswith("atc_code,")


@pytest.mark.django_db
def test_admin_searches_imports_and_exports(client, make_user):
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:prescriptions_drug_changelist")
    page = client.get(changelist, {"q": "Flemoxin"})
    assert page.status_code == 200 and "Amoxicillin" in page.content.decode()
    assert client.get(changelist, {"controlled_class__exact": "narcotic"}).status_code == 200

    upload = io.BytesIO((HEADER + "L01XC07,Bevacizumab,Avastin,solution for infusion,"
                         "25 mg/ml,yes,none,yes,yes\n").encode())
    upload.name = "drugs.csv"
    answer = client.post(reverse("admin:prescriptions_drug_import"), {"file": upload})
    assert answer.status_code == 302 and Drug.objects.filter(inn="Bevacizumab").exists()

    bad = io.BytesIO((HEADER + "X,Y,,tablet,1 mg,yes,none,no,yes\n").encode())
    bad.name = "bad.csv"
    answer = client.post(reverse("admin:prescriptions_drug_import"), {"file": bad},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200 and "Line 2" in answer.content.decode()

    export = client.get(reverse("admin:prescriptions_drug_export"))
    assert export["Content-Type"].startswith("text/csv")
    assert b"Bevacizumab" in b"".join(export.streaming_content)
    selected = Drug.objects.filter(inn="Bevacizumab").values_list("pk", flat=True)
    action = client.post(changelist, {"action": "export_selected",
                                      "_selected_action": list(selected)})
    body = b"".join(action.streaming_content).decode()
    assert body.count("\n") == 2 and "Bevacizumab" in body
