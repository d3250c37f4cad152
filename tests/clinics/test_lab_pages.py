"""Laboratory pages and API: who sees what, the worklist's query count, PDFs, audit rows."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from clinics.labs import selectors, services
from clinics.labs.models import Flag, LabOrder, LabResult, TurnaroundTarget
from clinics.visits.services import open_visit
from dmed.models import AuditAction, AuditEvent, User
from dmed.roles import Role
from patients.models import Representation
from registry.models import FacilityKind
from tests.clinics.lab_helpers import lab_world, released_result
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return lab_world()


@pytest.fixture
def patient_user():
    return UserFactory(role=Role.PATIENT)


@pytest.fixture
def card(world, patient_user):
    return CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                       sex="male", birth_date=date(1975, 2, 1), user=patient_user)


def place(world, card, *codes):
    return services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                    laboratory=world.laboratory, tests=list(codes or ["HGB"]))


class TestWorklist:
    def test_the_worklist_shows_only_open_orders_of_the_technicians_laboratory(
            self, client, world, card):
        mine = place(world, card, "HGB", "GLU")
        other_lab = FacilityFactory(kind=FacilityKind.LABORATORY)
        elsewhere = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                             laboratory=other_lab, tests=["HGB"])
        client.force_login(world.technician)
        page = client.get("/lab/worklist/")
        assert page.status_code == 200
        assert str(mine.public_id) in page.content.decode()
        assert str(elsewhere.public_id) not in page.content.decode()
        # One event per order shown, in its patient's name.
        listed = AuditEvent.objects.filter(actor=world.technician, action=AuditAction.LIST)
        assert listed.filter(object_id=str(mine.public_id), patient_med_id=card.med_id).exists()
        assert not listed.filter(object_id=str(elsewhere.public_id)).exists()

    def test_the_worklist_query_count_does_not_grow_with_its_rows(
            self, client, world, django_assert_max_num_queries):
        for index in range(25):
            card = CardFactory(attached_facility=world.polyclinic,
                               registered_at=world.polyclinic, first_name=f"Ali{index}")
            order = place(world, card, "HGB", "GLU", "CREA")
            services.enter_result(actor=world.technician, order_id=order.public_id,
                                  test_code="HGB", value=Decimal(140),
                                  sampled_at=timezone.now())
        client.force_login(world.technician)
        with django_assert_max_num_queries(14):
            page = client.get("/lab/worklist/")
        assert page.content.decode().count('data-testid="worklist-order"') == 25

    def test_the_worklist_pages_by_keyset(self, world, card):
        orders = [place(world, card) for _ in range(5)]
        first = selectors.worklist(world.technician, limit=3)
        second = selectors.worklist(world.technician, cursor=first.next_cursor, limit=3)
        assert [o.pk for o in first.results + second.results] == [o.pk for o in orders]
        assert second.next_cursor is None

    def test_the_worklist_goes_by_urgency_then_age_across_pages(self, world, card):
        placed = {}
        for name, priority in [("routine-old", "routine"), ("urgent-old", "urgent"),
                               ("emergency", "emergency"), ("routine-new", "routine"),
                               ("urgent-new", "urgent")]:
            placed[name] = services.place_lab_order(
                actor=world.doctor, med_id=card.med_id, laboratory=world.laboratory,
                tests=["HGB"], priority=priority)
        first = selectors.worklist(world.technician, limit=2)
        rest = selectors.worklist(world.technician, cursor=first.next_cursor, limit=3)
        by_pk = {order.pk: name for name, order in placed.items()}
        assert [by_pk[o.pk] for o in first.results + rest.results] == [
            "emergency", "urgent-old", "urgent-new", "routine-old", "routine-new"]

    def test_overdue_orders_and_those_awaiting_a_second_technician_stand_out(
            self, client, world, card, settings):
        settings.LAB_TURNAROUND_MINUTES = {"emergency": 60, "urgent": 240, "routine": 1440}
        late = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                        laboratory=world.laboratory, tests=["K"],
                                        priority="emergency")
        LabOrder.objects.filter(pk=late.pk).update(
            ordered_at=timezone.now() - timezone.timedelta(minutes=61))
        services.enter_result(actor=world.technician, order_id=late.public_id,
                              test_code="K", value=Decimal("7.1"), sampled_at=timezone.now())
        fresh = place(world, card)  # routine, a minute old: within its target
        client.force_login(world.technician)
        page = client.get("/lab/worklist/").content.decode()
        rows = page.split('data-testid="worklist-order"')[1:]
        assert str(late.public_id) in rows[0] and str(fresh.public_id) in rows[1]
        assert 'data-testid="overdue"' in rows[0] and 'data-testid="second-verifier"' in rows[0]
        assert 'data-testid="overdue"' not in rows[1]
        assert 'data-testid="second-verifier"' not in rows[1]

    def test_a_laboratorys_own_target_decides_what_is_overdue(self, world, card, settings,
                                                              django_assert_max_num_queries):
        settings.LAB_TURNAROUND_MINUTES = {"emergency": 60, "urgent": 240, "routine": 1440}
        TurnaroundTarget.objects.create(laboratory=world.laboratory, priority="routine",
                                        minutes=30)
        # Another laboratory's promise is not this one's.
        TurnaroundTarget.objects.create(laboratory=FacilityFactory(), priority="urgent",
                                        minutes=5)
        ages = {"routine": 40, "urgent": 100}
        for priority, minutes in ages.items():
            order = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                             laboratory=world.laboratory, tests=["HGB"],
                                             priority=priority)
            LabOrder.objects.filter(pk=order.pk).update(
                ordered_at=timezone.now() - timezone.timedelta(minutes=minutes))
        with django_assert_max_num_queries(8):
            results = selectors.worklist(world.technician).results
        assert {order.priority: order.overdue for order in results} == {
            "urgent": False, "routine": True}

    @pytest.mark.parametrize("role", [Role.CLINICIAN, Role.REGISTRAR, Role.PATIENT])
    def test_others_have_no_worklist(self, client, world, role):
        user = UserFactory(role=role) if role == Role.PATIENT else staff_at(world.polyclinic,
                                                                            role)
        client.force_login(user)
        assert client.get("/lab/worklist/").status_code == 403


class TestResultEntryPage:
    def test_the_technician_enters_and_releases_a_result_on_the_order_page(
            self, client, world, card):
        order = place(world, card)
        client.force_login(world.technician)
        url = f"/lab/orders/{order.public_id}/"
        assert client.get(url).status_code == 200
        sampled = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        response = client.post(url, {"action": "enter", "HGB-value": "118,5",
                                     "sampled_at": sampled})
        assert response.status_code == 302, response.content.decode()
        result = LabResult.objects.get()
        assert result.value == Decimal("118.5") and result.flag == Flag.LOW
        response = client.post(url, {"action": "release", "result_id": result.public_id})
        assert response.status_code == 302
        result.refresh_from_db()
        assert result.verified_by == world.technician and result.is_released

    def test_a_bad_value_answers_400_with_the_fields_message(self, client, world, card):
        order = place(world, card)
        client.force_login(world.technician)
        response = client.post(f"/lab/orders/{order.public_id}/", {
            "action": "enter", "HGB-value": "much", "sampled_at": "2020-01-01T10:00"})
        assert response.status_code == 400
        assert not LabResult.objects.exists()

    def test_every_test_of_the_order_is_entered_in_one_save(self, client, world, card):
        order = place(world, card, "HGB", "GLU", "CREA")
        client.force_login(world.technician)
        url = f"/lab/orders/{order.public_id}/"
        page = client.get(url).content.decode()
        assert page.count('data-testid="entry-') == 3 and page.count("save-results") == 1
        response = client.post(url, {
            "action": "enter", "sampled_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "HGB-value": "150", "GLU-value": "5,4", "GLU-comment": "fasting",
            "CREA-value": ""})  # not done yet: left for later
        assert response.status_code == 302, response.content.decode()
        entered = {r.test.code: r for r in LabResult.objects.select_related("test")}
        assert set(entered) == {"HGB", "GLU"}
        assert entered["GLU"].value == Decimal("5.4") and entered["GLU"].comment == "fasting"
        # The form now offers the drafts as typed and the test still to do.
        page = client.get(url).content.decode()
        assert 'value="5.4"' in page and page.count('data-testid="entry-') == 3

    def test_a_refused_value_keeps_the_others_typed_and_marks_its_field(self, client, world,
                                                                       card):
        order = place(world, card, "HGB", "GLU", "CREA")
        client.force_login(world.technician)
        response = client.post(f"/lab/orders/{order.public_id}/", {
            "action": "enter", "sampled_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "HGB-value": "150", "GLU-value": "5..4", "CREA-value": "88",
            "CREA-comment": "haemolysed"})
        assert response.status_code == 400
        assert not LabResult.objects.exists()  # nothing half saved
        page = response.content.decode()
        row = page[page.index('data-testid="entry-GLU"'):page.index('data-testid="entry-HGB"')]
        assert 'class="invalid"' in row and 'aria-invalid="true"' in row
        assert 'value="150"' in page and 'value="88"' in page and 'value="haemolysed"' in page

    def test_a_sampling_time_the_service_refuses_is_marked_on_its_field(self, client, world,
                                                                       card):
        order = place(world, card, "HGB", "GLU")
        client.force_login(world.technician)
        response = client.post(f"/lab/orders/{order.public_id}/", {
            "action": "enter", "sampled_at": "2020-01-01T10:00", "HGB-value": "150",
            "GLU-value": "5.4"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400 and not LabResult.objects.exists()
        assert "The sample was taken before the order." in response.content.decode()
        assert 'value="5.4"' in response.content.decode()

    def test_an_empty_form_says_to_type_a_value(self, client, world, card):
        order = place(world, card, "HGB")
        client.force_login(world.technician)
        response = client.post(f"/lab/orders/{order.public_id}/", {
            "action": "enter", "sampled_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "HGB-value": ""}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "Type at least one value." in response.content.decode()

    def test_another_laboratorys_technician_gets_404(self, client, world, card):
        order = place(world, card)
        client.force_login(staff_at(FacilityFactory(kind=FacilityKind.LABORATORY),
                                    Role.LAB_TECHNICIAN))
        assert client.get(f"/lab/orders/{order.public_id}/").status_code == 404

    def test_a_lab_technician_cannot_open_the_card_itself(self, client, world, card):
        place(world, card)
        client.force_login(world.technician)
        assert client.get(f"/patients/{card.med_id}/").status_code == 404
        assert client.get(f"/patients/{card.med_id}/results/").status_code == 404
        assert AuditEvent.objects.filter(actor=world.technician, patient_med_id=card.med_id,
                                         allowed=False).exists()


class TestPatientResults:
    def test_the_patient_sees_released_results_only(self, client, world, card, patient_user):
        released_result(world, card, "HGB", Decimal(118), days_ago=60)
        released_result(world, card, "HGB", Decimal(125), days_ago=30)
        latest = released_result(world, card, "HGB", Decimal(142), days_ago=1)
        pending = place(world, card, "GLU")
        services.enter_result(actor=world.technician, order_id=pending.public_id,
                              test_code="GLU", value=Decimal("7.77"), sampled_at=timezone.now())
        client.force_login(patient_user)
        page = client.get("/me/results/").content.decode()
        assert "142" in page and 'class="history"' in page  # the latest, and the chart
        # Unreleased does not exist for them. (7.77 is no part of a date: 9.1 was, in
        # 09.10.2026, when the first result fell 60 days before 8 December.)
        assert "7.77" not in page and "GLU" not in page
        assert client.get(f"/results/{latest.public_id}/").status_code == 200
        draft = LabResult.objects.get(test__code="GLU")
        assert client.get(f"/results/{draft.public_id}/").status_code == 404
        assert AuditEvent.objects.filter(actor=patient_user, patient_med_id=card.med_id,
                                         object_type="clinics.lab_result").exists()

    def test_another_patients_results_do_not_exist_for_them(self, client, world, card):
        result = released_result(world, card, "HGB", Decimal(140))
        stranger = UserFactory(role=Role.PATIENT)
        CardFactory(user=stranger)
        client.force_login(stranger)
        assert client.get(f"/results/{result.public_id}/").status_code == 404
        assert client.get(f"/results/{result.public_id}/pdf/").status_code == 404
        assert client.get(f"/patients/{card.med_id}/results/").status_code == 404

    def test_a_representative_sees_the_childs_results(self, client, world):
        parent = UserFactory(role=Role.PATIENT)
        child = CardFactory(attached_facility=world.polyclinic, birth_date=date(2018, 1, 5),
                            registered_at=world.polyclinic)
        Representation.objects.create(representative=parent, card=child, basis="mother")
        result = released_result(world, child, "HGB", Decimal(120))
        client.force_login(parent)
        assert client.get(f"/patients/{child.med_id}/results/").status_code == 200
        assert client.get(f"/results/{result.public_id}/").status_code == 200

    def test_a_corrected_result_shows_the_new_value_and_keeps_the_old_one(
            self, client, world, card, patient_user):
        first = released_result(world, card, "HGB", Decimal(118))
        correction = services.correct_result(actor=world.technician, result_id=first.public_id,
                                             value=Decimal(138), reason="Sample mix-up")
        services.release_result(actor=world.second_technician, result_id=correction.public_id)
        client.force_login(patient_user)
        page = client.get("/me/results/").content.decode()
        assert "138" in page
        old = client.get(f"/results/{first.public_id}/").content.decode()
        assert "118" in old and str(correction.public_id) in old

    def test_the_pdf_is_a_real_pdf_and_its_printing_is_audited(self, client, world, card,
                                                               patient_user):
        result = released_result(world, card, "HGB", Decimal(118))
        client.force_login(patient_user)
        response = client.get(f"/results/{result.public_id}/pdf/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and len(response.content) > 2000
        assert AuditEvent.objects.filter(action=AuditAction.PRINT, actor=patient_user,
                                         object_type="clinics.lab_result").exists()

    def test_the_results_page_query_count_is_flat(self, client, world, card, patient_user,
                                                  django_assert_max_num_queries):
        for days in range(1, 22):
            released_result(world, card, "HGB" if days % 2 else "GLU", Decimal(130 + days % 5),
                            days_ago=days)
        client.force_login(patient_user)
        with django_assert_max_num_queries(12):
            page = client.get("/me/results/")
        assert page.content.decode().count('class="history"') == 2


class TestOrderingPage:
    def test_the_doctor_orders_from_the_card(self, client, world, card):
        client.force_login(world.doctor)
        url = f"/patients/{card.med_id}/lab-orders/new/"
        assert client.get(url + "?test=HGB").status_code == 200
        response = client.post(url, {"laboratory": world.laboratory.pk, "tests": ["HGB", "FERR"],
                                     "priority": "routine"})
        assert response.status_code == 302
        assert LabOrder.objects.get().items.count() == 2

    def test_the_doctor_saves_the_visit_and_orders_its_protocols_tests(self, client, world,
                                                                        card):
        client.force_login(world.doctor)
        visit = open_visit(world.doctor, card.med_id)
        response = client.post(f"/visits/{visit.public_id}/edit/", {
            "complaints": "Holsizlik", "primary_diagnosis": "D50", "order_tests": ""})
        assert response.status_code == 302
        order_url = response.url
        assert order_url.startswith(f"/patients/{card.med_id}/lab-orders/new/?")
        page = client.get(order_url).content.decode()
        ticked = set(re.findall(r'<input type="checkbox" name="tests" value="(\w+)"[^>]*checked',
                                page))
        assert ticked == {"HGB", "PLT", "FERR"}  # the iron-deficiency protocol's tests

        response = client.post(order_url, {"laboratory": world.laboratory.pk,
                                           "tests": ["HGB", "FERR"], "priority": "routine",
                                           "visit": str(visit.public_id)})
        assert response.status_code == 302
        assert response.url == f"/visits/{visit.public_id}/edit/"
        assert LabOrder.objects.get().visit == visit

    def test_without_a_protocol_nothing_is_ticked(self, client, world, card):
        client.force_login(world.doctor)
        visit = open_visit(world.doctor, card.med_id)
        response = client.post(f"/visits/{visit.public_id}/edit/", {
            "complaints": "Yo‘tal", "primary_diagnosis": "R05", "order_tests": ""})
        assert response.status_code == 302
        assert "test=" not in response.url
        assert " checked" not in client.get(response.url).content.decode().split(
            'data-testid="tests"')[1].split("</fieldset>")[0]

    def test_another_patients_visit_is_refused_and_nothing_is_ordered(self, client, world,
                                                                       card):
        other = CardFactory(attached_facility=world.polyclinic)
        foreign_visit = open_visit(world.doctor, other.med_id)
        client.force_login(world.doctor)
        response = client.post(f"/patients/{card.med_id}/lab-orders/new/", {
            "laboratory": world.laboratory.pk, "tests": ["HGB"], "priority": "routine",
            "visit": str(foreign_visit.public_id)})
        assert response.status_code == 400 and not LabOrder.objects.exists()
        assert response.context["form"].errors["visit"]  # said on the page, per field
        assert 'class="errorlist' in response.content.decode()

    def test_a_mangled_visit_id_is_a_400_never_a_500(self, client, world, card):
        client.force_login(world.doctor)
        url = f"/patients/{card.med_id}/lab-orders/new/"
        assert client.get(url + "?visit=a/b").status_code == 200
        response = client.post(url + "?visit=a/b", {
            "laboratory": world.laboratory.pk, "tests": ["HGB"], "priority": "routine",
            "visit": "a/b"})
        assert response.status_code == 400 and not LabOrder.objects.exists()

    def test_no_tests_chosen_answers_400(self, client, world, card):
        client.force_login(world.doctor)
        response = client.post(f"/patients/{card.med_id}/lab-orders/new/",
                               {"laboratory": world.laboratory.pk, "priority": "routine"})
        assert response.status_code == 400 and not LabOrder.objects.exists()


class TestApi:
    def test_a_laboratory_system_posts_and_releases_results_for_its_orders(
            self, api_client, world, card):
        order = place(world, card, "GLU")
        api_client.force_authenticate(world.technician)
        listed = api_client.get("/api/v1/lab-orders/").json()
        assert [o["id"] for o in listed["results"]] == [str(order.public_id)]
        response = api_client.post("/api/v1/lab-results/", {
            "order": str(order.public_id), "test": "GLU", "value": "7.4",
            "sampled_at": timezone.now().isoformat()}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["flag"] == Flag.HIGH and body["released_at"] is None
        api_client.force_authenticate(world.second_technician)
        released = api_client.post(f"/api/v1/lab-results/{body['id']}/release/").json()
        assert released["released_at"]

    def test_a_laboratory_system_cannot_post_for_another_laboratorys_order(
            self, api_client, world, card):
        order = place(world, card, "GLU")
        api_client.force_authenticate(staff_at(FacilityFactory(kind=FacilityKind.LABORATORY),
                                               Role.LAB_TECHNICIAN))
        response = api_client.post("/api/v1/lab-results/", {
            "order": str(order.public_id), "test": "GLU", "value": "7.4",
            "sampled_at": timezone.now().isoformat()}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert not LabResult.objects.exists()

    def test_bad_input_answers_400_per_field(self, api_client, world, card):
        order = place(world, card, "GLU")
        api_client.force_authenticate(world.technician)
        response = api_client.post("/api/v1/lab-results/", {
            "order": str(order.public_id), "test": "GLU", "value": "high"}, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"value", "sampled_at"}

    def test_the_clinician_orders_and_reads_released_results(self, api_client, world, card):
        api_client.force_authenticate(world.doctor)
        response = api_client.post("/api/v1/lab-orders/", {
            "med_id": card.med_id, "laboratory": world.laboratory.code, "tests": ["HGB"]},
            format="json")
        assert response.status_code == 201, response.json()
        released_result(world, card, "FERR", Decimal(25))
        results = api_client.get(f"/api/v1/lab-results/?med_id={card.med_id}").json()["results"]
        assert [(r["test"], r["flag"]) for r in results] == [("FERR", Flag.LOW)]

    def test_a_clinician_out_of_scope_gets_403_and_a_patient_404(self, api_client, world,
                                                                  card):
        outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
        api_client.force_authenticate(outsider)
        response = api_client.get(f"/api/v1/lab-results/?med_id={card.med_id}")
        assert response.status_code == 403 and response.json()["code"] == "out_of_scope"
        api_client.force_authenticate(User.objects.create(username="p2", role=Role.PATIENT))
        assert api_client.get(f"/api/v1/lab-results/?med_id={card.med_id}").status_code == 404


def test_the_pdf_table_wraps_headers_and_long_names_inside_their_cells(world, card):
    """Every word of the table is drawn inside its own column: in Uzbek the headers
    ("o‘lchov birligi", "me’yoriy oraliq") and a long test name wrap instead of running on."""
    import io

    from django.utils import translation
    from fpdf import FPDF
    from pypdf import PdfReader

    from clinics.labs.pdf import COLUMN_WIDTHS, FONTS, result_pdf

    result = released_result(world, card, "HGB", Decimal(118))
    result.test.name_uz = "Gemoglobin (to‘liq qon tahlili, avtomatik analizatorda) " * 2
    with translation.override("uz"):
        document = result_pdf(result, [result])
    metrics = FPDF()
    metrics.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    metrics.set_font("DejaVu", "B", 10)
    mm = 72 / 25.4
    edges = [10 * mm]  # the left margin, then each column's right edge
    for width in COLUMN_WIDTHS:
        edges.append(edges[-1] + width * mm)
    drawn = []
    PdfReader(io.BytesIO(document)).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: drawn.append((text, tm[4])))
    in_table = [(text.strip(), x) for text, x in drawn
                if text.strip() and edges[0] - 1 <= x and any(
                    word in text for word in ("o‘lchov", "me’yoriy", "Gemoglobin", "oraliq"))]
    assert in_table, drawn
    for text, x in in_table:
        column = max(i for i, edge in enumerate(edges[:-1]) if x >= edge - 1)
        assert x + metrics.get_string_width(text) * mm <= edges[column + 1] + 1, text
