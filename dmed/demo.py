"""Demo accounts, one per role. Their staff records come with the clinics demo."""

from dmed.models import User
from dmed.roles import Role

DEMO_USERS = [
    # username, role, last name, first name, patronymic
    ("admin", Role.ADMINISTRATOR, "Rahimova", "Dilnoza", "Anvarovna"),
    ("doctor", Role.CLINICIAN, "Karimov", "Aziz", "Rustamovich"),
    ("cardiologist", Role.CLINICIAN, "Nazarov", "Bobur", "Alisherovich"),
    ("head", Role.CLINICIAN, "Saidova", "Nodira", "Baxtiyorovna"),
    ("nurse", Role.NURSE, "Yusupova", "Malika", "Shavkatovna"),
    ("registrar", Role.REGISTRAR, "Ergashev", "Sardor", "Bahodirovich"),
    ("lab", Role.LAB_TECHNICIAN, "Tursunova", "Gulnora", "Ilhomovna"),
    ("pharmacist", Role.PHARMACIST, "Qodirov", "Jasur", "Olimovich"),
    ("patient", Role.PATIENT, "Abdullayev", "Shohruh", "Akmalovich"),
    ("epidemiologist", Role.EPIDEMIOLOGIST, "Mirzayeva", "Feruza", "Hamidovna"),
]


def demo_user(username: str, role: str, last_name: str, first_name: str, middle_name: str,
              password: str) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={"role": role, "last_name": last_name, "first_name": first_name,
                  "middle_name": middle_name, "is_active": True,
                  "is_staff": role == Role.ADMINISTRATOR,
                  "is_superuser": role == Role.ADMINISTRATOR},
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def seed(world: dict) -> None:
    world["users"] = {
        username: demo_user(username, role, last, first, middle, world["password"])
        for username, role, last, first, middle in DEMO_USERS
    }
