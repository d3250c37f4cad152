import io

import pytest
from django.core.exceptions import ValidationError

from clinics.coding.selectors import search_icd10
from clinics.coding.services import import_icd10_titles, load_icd10
from clinics.models import ClinicalProtocol, Icd10Code, LabTest

pytestmark = pytest.mark.django_db


def codes(found):
    return [entry.code for entry in found]


def test_the_migration_loaded_the_who_catalogue_and_loading_again_adds_nothing():
    assert Icd10Code.objects.count() > 12000
    hypertension = Icd10Code.objects.get(code="I10")
    assert hypertension.title_en == "Essential (primary) hypertension"
    assert Icd10Code.objects.get(code="E11.9").parent_id == "E11"
    assert not Icd10Code.objects.get(code="J06").is_leaf
    assert load_icd10() == 0


@pytest.mark.parametrize("typed", ["E11", "e11", "E11.", "e11.9", "E119"])
def test_a_code_prefix_finds_the_category_and_its_subcategories(typed):
    found = codes(search_icd10(typed))
    expected = "E11" if len(typed.replace(".", "")) == 3 else "E11.9"
    assert found[0] == expected
    assert all(code.startswith(expected) for code in found)


def test_words_find_titles_containing_all_of_them_broad_codes_first():
    found = search_icd10("type 2 diabetes")
    assert codes(found)[0] == "E11"
    assert all("diabetes" in entry.title_en.lower() for entry in found)
    assert "I10" in codes(search_icd10("essential hypertension"))
    assert search_icd10("qwvzjqwv") == []
    assert search_icd10("   ") == []


def test_local_titles_are_imported_from_csv_and_searched_in_either_script():
    csv = io.StringIO(
        "code,title_uz,title_ru\n"
        "I10,Birlamchi arterial gipertenziya,Эссенциальная (первичная) гипертензия\n"
        "E11,,Инсулиннезависимый сахарный диабет\n"
    )
    assert import_icd10_titles(csv) == 2
    i10 = Icd10Code.objects.get(code="I10")
    assert i10.title_uz == "Birlamchi arterial gipertenziya"
    assert Icd10Code.objects.get(code="E11").title_uz == ""
    assert "I10" in codes(search_icd10("gipertenziya"))
    assert "I10" in codes(search_icd10("гипертензия"))
    assert "E11" in codes(search_icd10("сахарный диабет"))


def test_a_csv_with_an_unknown_code_changes_nothing():
    csv = io.StringIO("code,title_uz,title_ru\nI10,Gipertenziya,\nA00.99,Yo'q,\n")
    with pytest.raises(ValidationError, match="A00.99"):
        import_icd10_titles(csv)
    assert Icd10Code.objects.get(code="I10").title_uz == ""
    with pytest.raises(ValidationError, match="title_ru"):
        import_icd10_titles(io.StringIO("code,title_uz\nI10,x\n"))


def test_administrators_search_the_catalogue_and_read_visits_in_the_admin(client):
    from dmed.roles import Role
    from tests.clinics.factories import VisitFactory
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    page = client.get("/admin/clinics/icd10code/?q=hypertension")
    assert page.status_code == 200
    assert "I10" in page.content.decode()
    assert client.get("/admin/clinics/icd10code/I10/change/").status_code == 200
    visit = VisitFactory()
    assert client.get("/admin/clinics/visit/").status_code == 200
    assert client.get(f"/admin/clinics/visit/{visit.pk}/change/").status_code == 200
    assert client.get("/admin/clinics/visit/add/").status_code == 403


def test_the_catalogue_api_searches_and_names_protocols(api_client, make_user):
    assert api_client.get("/api/v1/icd10/?search=I10").status_code in (401, 403)
    api_client.force_authenticate(make_user())
    body = api_client.get("/api/v1/icd10/?search=e11.9").json()
    assert body["results"][0]["code"] == "E11.9"
    assert api_client.get("/api/v1/icd10/?search=x&limit=500").status_code == 400
    protocols = api_client.get("/api/v1/protocols/?code=E11.9",
                               HTTP_ACCEPT_LANGUAGE="ru").json()["results"]
    assert [p["slug"] for p in protocols] == ["type-2-diabetes"]
    assert protocols[0]["title"] == "Сахарный диабет 2 типа"
    assert protocols[0]["sections"]["plan"].startswith("HbA1c")
    assert {t["code"] for t in protocols[0]["lab_tests"]} >= {"HBA1C", "GLU"}
    # names and notes in the reader's language: the catalogue's Russian, the protocol's
    glucose = next(t for t in protocols[0]["lab_tests"] if t["code"] == "GLU")
    assert glucose["name"] == LabTest.objects.get(code="GLU").name_ru
    assert {"inn": "Metformin", "note": "500 мг два раза в день во время еды, с титрацией "
            "дозы"} in protocols[0]["medicines"]
    uzbek = api_client.get("/api/v1/protocols/?code=E11.9", HTTP_ACCEPT_LANGUAGE="uz-cyrl")
    assert uzbek.json()["results"][0]["medicines"][0]["note"].startswith("кунига икки марта")
    assert api_client.get("/api/v1/protocols/?code=Z00.0").json()["results"] == []
    assert api_client.get("/api/v1/protocols/").status_code == 400


def test_shipped_protocols_name_known_codes_and_lab_tests():
    lab_codes = set(LabTest.objects.values_list("code", flat=True))
    for protocol in ClinicalProtocol.objects.prefetch_related("diagnoses"):
        assert protocol.diagnoses.exists()
        assert set(protocol.sections) <= {"examination", "plan", "recommendations"}
        assert set(protocol.lab_tests) <= lab_codes, protocol.slug
        for medicine in protocol.medicines:
            assert all(medicine["note"].get(lang) for lang in ("uz", "ru", "en")), medicine


def test_the_migration_set_russian_titles_and_added_the_national_extensions():
    from clinics.coding.services import load_russian_titles

    i10 = Icd10Code.objects.get(code="I10")
    assert i10.title_ru == "Эссенциальная [первичная] гипертензия"
    assert not i10.is_national
    # S02.00 (closed fracture of the vault) exists only in the national classifier: added
    # under S02.0, which is then no longer the most specific code.
    closed = Icd10Code.objects.get(code="S02.00")
    assert (closed.is_national, closed.title_en, closed.parent_id) == (True, "", "S02.0")
    assert closed.title_ru == "Перелом свода черепа закрытый"
    assert not Icd10Code.objects.get(code="S02.0").is_leaf
    # Withdrawn codes (A90, dengue before A97) are not added; chapters and blocks neither.
    assert not Icd10Code.objects.filter(code__in=["A90", "I84"]).exists()
    assert Icd10Code.objects.filter(is_national=True).count() == 2417
    assert load_russian_titles()[1] == 0  # a second run adds nothing


@pytest.mark.parametrize("typed", ["gipertenziya", "гипертония", "hypertension", "I10",
                                   "gipertoniya", "ГИПЕРТЕНЗИЯ"])
def test_hypertension_typed_in_any_language_or_script_finds_i10_first(typed):
    assert codes(search_icd10(typed))[0] == "I10"


def test_uzbek_titles_are_found_in_either_script():
    import_icd10_titles(io.StringIO("code,title_uz,title_ru\nE11,Qandli diabet 2-tur,\n"))
    assert "E11" in codes(search_icd10("қандли диабет"))
    assert "E11" in codes(search_icd10("qandli"))


def test_uzbek_pages_show_the_russian_title_where_no_uzbek_one_exists_never_the_english():
    from django.utils import translation

    i10 = Icd10Code.objects.get(code="I10")
    russian = "Эссенциальная [первичная] гипертензия"
    shown = {}
    for language in ("uz", "uz-cyrl", "ru", "en"):
        with translation.override(language):
            shown[language] = i10.title
    # Uzbek Cyrillic shows the Russian as written: transliterating would garble it.
    assert shown == {"uz": russian, "uz-cyrl": russian, "ru": russian,
                     "en": "Essential (primary) hypertension"}
    i10.title_uz = "Birlamchi gipertenziya"
    with translation.override("uz-cyrl"):
        assert i10.title == "Бирламчи гипертензия"
    with translation.override("en"):  # a national extension has only its Russian title
        assert Icd10Code.objects.get(code="S02.00").title == "Перелом свода черепа закрытый"


def test_the_diagnosis_box_takes_the_words_typed_to_search_them():
    from clinics.stays.forms import AdmitForm
    from clinics.visits.forms import VisitForm
    from prescriptions.forms import PrescriptionForm

    typed = "essential hypertension with a long qualifier"
    for form, field in ((VisitForm, "primary_diagnosis"), (VisitForm, "secondary_diagnoses"),
                        (PrescriptionForm, "diagnosis")):
        bound = form(data={field: typed})
        bound.is_valid()
        assert field not in bound.errors
        assert bound.cleaned_data[field] == typed
        assert 'maxlength="300"' in str(bound[field])
    assert 'maxlength="300"' in str(AdmitForm(beds=[])["admitting_diagnosis"])


@pytest.mark.django_db
def test_a_protocols_medicines_stay_latin_on_uzbek_cyrillic_pages():
    """Metformin is spelt alike in Latin Uzbek, so only the protocol knows it is an INN."""
    from django.utils import translation

    protocol = ClinicalProtocol.objects.get(slug="type-2-diabetes")
    protocol.sections["plan"]["uz"] = "Metformin bilan davolash, Gliclazidega o‘tish"
    protocol.medicines[0]["note"]["uz"] = "Metformin kuniga ikki marta"
    with translation.override("uz-cyrl"):
        assert protocol.section_texts()["plan"] == "Metformin билан даволаш, Gliclazideга ўтиш"
        assert protocol.suggested_medicines()[0]["note"] == "Metformin кунига икки марта"
    with translation.override("uz"):
        assert protocol.section_texts()["plan"] == "Metformin bilan davolash, Gliclazidega o‘tish"
