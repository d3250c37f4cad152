import pytest

from dmed.translit import (
    cyrillic_to_latin,
    fold_apostrophes,
    latin_to_cyrillic,
    search_key,
)

APOSTROPHE_VARIANTS = ["‘", "’", "'", "`", "ʻ", "ʼ"]

# Pairs that must convert exactly in both directions (Latin uses the canonical ‘ and ’).
NAME_PAIRS = [
    ("Karimov", "Каримов"),
    ("Shohruh", "Шоҳруҳ"),
    ("G‘ulomov", "Ғуломов"),
    ("O‘ktam", "Ўктам"),
    ("Yusupov", "Юсупов"),
    ("Yoqubov", "Ёқубов"),
    ("Ergashev", "Эргашев"),
    ("Mirzo Ulug‘bek", "Мирзо Улуғбек"),
    ("Karimov Aziz", "Каримов Азиз"),
    ("Xolmatov", "Холматов"),
    ("Chorshanbiyev", "Чоршанбиев"),
    ("Aliyeva", "Алиева"),
    ("Yevgeniy", "Евгений"),
    ("Yo‘ldosh", "Йўлдош"),
    ("ma’no", "маъно"),
    ("Is’hoq", "Исҳоқ"),
    ("Aeroport", "Аэропорт"),
    ("Ro‘yxatdan o‘tish", "Рўйхатдан ўтиш"),
    ("Tug‘ilgan sana", "Туғилган сана"),
    ("Mingboyev", "Мингбоев"),
]


@pytest.mark.parametrize(("latin", "cyrillic"), NAME_PAIRS)
def test_latin_to_cyrillic_names(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(("latin", "cyrillic"), NAME_PAIRS)
def test_cyrillic_to_latin_names(latin, cyrillic):
    assert cyrillic_to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("SHOHRUH", "ШОҲРУҲ"),
        ("YOQUBOV", "ЁҚУБОВ"),
        ("G‘ULOMOV", "ҒУЛОМОВ"),
        ("O‘KTAM", "ЎКТАМ"),
        ("ERGASHEV", "ЭРГАШЕВ"),
        ("YUSUPOV", "ЮСУПОВ"),
        ("CHORSHANBIYEV", "ЧОРШАНБИЕВ"),
        ("MA’NO", "МАЪНО"),
        ("TOSH", "ТОШ"),
        ("KARIMOV Aziz", "КАРИМОВ Азиз"),
    ],
)
def test_all_caps_both_directions(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic
    assert cyrillic_to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ш", "Sh"),  # a lone capital is an initial, so Title case
        ("Ш. Каримов", "Sh. Karimov"),
        ("Шоҳруҳ", "Shohruh"),
        ("шоҳруҳ", "shohruh"),
        ("Ё", "Yo"),
    ],
)
def test_cyrillic_to_latin_digraph_case(cyrillic, latin):
    assert cyrillic_to_latin(cyrillic) == latin


def test_lowercase_stays_lowercase():
    assert latin_to_cyrillic("shohruh yoqubov") == "шоҳруҳ ёқубов"
    assert cyrillic_to_latin("шоҳруҳ ёқубов") == "shohruh yoqubov"


@pytest.mark.parametrize("mark", APOSTROPHE_VARIANTS)
def test_every_apostrophe_variant_makes_o_and_g(mark):
    assert latin_to_cyrillic(f"G{mark}ulomov") == "Ғуломов"
    assert latin_to_cyrillic(f"O{mark}ktam") == "Ўктам"
    assert latin_to_cyrillic(f"Ulug{mark}bek") == "Улуғбек"
    assert latin_to_cyrillic(f"o{mark}g{mark}il") == "ўғил"


@pytest.mark.parametrize("mark", APOSTROPHE_VARIANTS)
def test_every_apostrophe_variant_is_tutuq_between_letters(mark):
    assert latin_to_cyrillic(f"ma{mark}no") == "маъно"
    assert latin_to_cyrillic(f"san{mark}at") == "санъат"


def test_yo_before_o_sign_is_y_plus_u_short():
    assert latin_to_cyrillic("yo‘q") == "йўқ"
    assert latin_to_cyrillic("Yo'l") == "Йўл"


def test_e_is_e_reversed_at_word_start_and_after_vowel_only():
    assert latin_to_cyrillic("Ergash") == "Эргаш"
    assert latin_to_cyrillic("Ergashev Eldor") == "Эргашев Элдор"
    assert latin_to_cyrillic("Bek") == "Бек"
    assert latin_to_cyrillic("poema") == "поэма"


def test_ye_after_consonant_keeps_the_y():
    assert latin_to_cyrillic("Dyeyk") == "Дйейк"


def test_ts_and_ng_stay_two_letters():
    assert latin_to_cyrillic("Tsoy") == "Тсой"
    assert latin_to_cyrillic("Mingboyev") == "Мингбоев"


def test_quotes_around_words_are_not_tutuq():
    assert latin_to_cyrillic("'Saqlash' tugmasi") == "'Сақлаш' тугмаси"
    assert latin_to_cyrillic("‘Kirish’") == "‘Кириш’"


def test_s_apostrophe_h_separates_without_hard_sign():
    assert latin_to_cyrillic("Is'hoq") == "Исҳоқ"
    assert latin_to_cyrillic("Ishoq") == "Ишоқ"


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Щукин", "Shchukin"),
        ("Цой", "Tsoy"),
        ("Рыбаков", "Ribakov"),
        ("Игорь", "Igor"),
        ("Васильев", "Vasilyev"),
        ("объект", "ob’yekt"),
        ("Эдуард", "Eduard"),
        ("Пётр", "Pyotr"),
        ("Юлия", "Yuliya"),
        ("Елена", "Yelena"),
        ("Сергеев", "Sergeyev"),
        ("Беков", "Bekov"),
        ("Хасан", "Xasan"),
    ],
)
def test_cyrillic_to_latin_russian_letters(cyrillic, latin):
    assert cyrillic_to_latin(cyrillic) == latin


def test_cyrillic_to_latin_uses_canonical_apostrophes():
    result = cyrillic_to_latin("Ўғил маъно")
    assert result == "O\u2018g\u2018il ma\u2019no"


def test_decomposed_cyrillic_input_is_composed_first():
    decomposed = "Ёкубов Ўктам Алий".replace("Ё", "Е\u0308").replace("Ў", "У\u0306")
    decomposed = decomposed.replace("й", "и\u0306")
    assert cyrillic_to_latin(decomposed) == "Yokubov O‘ktam Aliy"


@pytest.mark.parametrize(
    "text",
    [
        "Salom, %(name)s!",
        "%s ta xabar",
        "%d kun qoldi",
        "%(count)d ta shifokor",
        "{name} uchun",
        "{0} dan {1} gacha",
        "Yuklash 100%% tugadi",
        '<a href="/shifokor/">Shifokorlar</a>',
        "Qon &amp; siydik",
        "<br/>Yangi",
        "Bog‘lanish: info@dmed.uz, https://dmed.uz/yordam",
    ],
)
def test_placeholders_and_markup_survive_round_trip(text):
    assert cyrillic_to_latin(latin_to_cyrillic(text)) == text


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Salom, %(name)s!", "Салом, %(name)s!"),
        ("%s ta xabar", "%s та хабар"),
        ("%d kun qoldi", "%d кун қолди"),
        ("%(count)d ta shifokor", "%(count)d та шифокор"),
        ("%.2f so‘m", "%.2f сўм"),
        ("{name} uchun", "{name} учун"),
        ("{0} dan {1} gacha", "{0} дан {1} гача"),
        ("{{yo‘q}}", "{{йўқ}}"),  # escaped braces are literal text
        ("100%% tayyor", "100%% тайёр"),
        ("50% dan ortiq", "50% дан ортиқ"),  # prose percent, not "% d"
        (
            '<a href="/shifokor/" class="btn">Shifokorlar</a>',
            '<a href="/shifokor/" class="btn">Шифокорлар</a>',
        ),
        ("<strong>Eslatma:</strong> %(date)s", "<strong>Эслатма:</strong> %(date)s"),
        ("Qon &amp; siydik &#39;tahlili&#39;", "Қон &amp; сийдик &#39;таҳлили&#39;"),
        ("Yozing: info@dmed.uz", "Ёзинг: info@dmed.uz"),
        ("Sayt: https://dmed.uz/shifokor", "Сайт: https://dmed.uz/shifokor"),
    ],
)
def test_latin_to_cyrillic_keeps_placeholders_and_markup(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


def test_non_letters_and_existing_cyrillic_pass_through():
    assert latin_to_cyrillic("2024-yil, 15:30 — Каримов") == "2024-йил, 15:30 — Каримов"
    assert cyrillic_to_latin("2024 йил, Karimov") == "2024 yil, Karimov"
    assert latin_to_cyrillic("") == ""
    assert cyrillic_to_latin("") == ""
    assert search_key("") == ""


@pytest.mark.parametrize("mark", APOSTROPHE_VARIANTS + ["´"])
def test_fold_apostrophes(mark):
    assert fold_apostrophes(f"O{mark}g{mark}il ma{mark}no") == "O'g'il ma'no"


@pytest.mark.parametrize(
    "variants",
    [
        ["Каримов Азиз", "Karimov Aziz", "KARIMOV AZIZ", "karimov  aziz ", "КАРИМОВ АЗИЗ"],
        ["Shoxruh", "Shohruh", "Шоҳруҳ", "Шохрух", "SHOHRUH"],
        ["G'ulomov", "G‘ulomov", "Gʻulomov", "G’ulomov", "G`ulomov", "Gʼulomov", "Ғуломов"],
        ["Gulomov", "Гуломов", "G´ulomov"],
        ["Muhammad", "Мухаммад", "Muhamad", "Muxammad", "Муҳаммад"],
        ["O‘ktam", "O'ktam", "Oktam", "Ўктам", "Октам"],
        ["Yoqubov", "Ёқубов", "Yokubov", "Ёкубов"],
        ["Qodirov", "Қодиров", "Kodirov", "Кодиров"],
        ["Hasan", "Hassan", "Ҳасан", "Хасан", "Xasan"],
        ["Alievа", "Alieva", "Aliyeva", "Алиева"],
        ["Aliev", "Aliyev", "Алиев", "ALIYEV"],
        ["Aliyevna", "Alievna", "Алиевна"],
        ["Aliy", "Али", "Ali", "Алий"],
        ["Sergeev", "Sergeyev", "Сергеев"],
        ["Is'hoq", "Ishoq", "Исҳоқ", "Исхок"],
        ["Abdul-Aziz", "Abdul Aziz", "Абдул Азиз"],
        ["Azíz Karímov", "Aziz Karimov", "Азиз Каримов"],
    ],
)
def test_search_key_collides_for_same_name(variants):
    keys = {search_key(v) for v in variants}
    assert len(keys) == 1, dict(zip(variants, map(search_key, variants), strict=True))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Каримов Азиз", "karimov aziz"),
        ("Шоҳруҳ", "shohruh"),
        ("Мухаммад", "muhamad"),
        ("Ғуломов", "gulomov"),
        ("  Aliyeva,  Gulnora!  ", "alieva gulnora"),
        ("Yoqubov 2001", "yokubov 2001"),  # digits are kept and never collapsed
        ("Евгений", "yevgeni"),
    ],
)
def test_search_key_exact_values(text, key):
    assert search_key(text) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Karimov", "Kamilov"),
        ("Karimov Aziz", "Aziz Karimov"),
        ("Aziz", "Azizа "),  # trailing Cyrillic а makes a different name
        ("Yusupov", "Yoqubov"),
        ("Ergashev", "Yergashev"),  # word-initial ye is not folded
        ("Salimov", "Shalimov"),
        ("Aliyeva", "Aliyev"),
        ("Gulomov", "Golomov"),
        ("Tsoy", "Soy"),
    ],
)
def test_search_key_keeps_different_names_apart(a, b):
    assert search_key(a) != search_key(b)


def test_search_key_only_ascii_words():
    key = search_key("Ўғилой Шоҳруҳовна-Маъмурова (ҚОРАҚАЛПОҒИСТОН)")
    assert key == "ogiloy shohruhovna mamurova korakalpogiston"
    assert all(c.isascii() and (c.isalnum() or c == " ") for c in key)
    assert "  " not in key


@pytest.mark.parametrize(("latin", "cyrillic"), [
    # Abbreviations and units stay Latin; the Uzbek words around them do not.
    ("HbA1c 7% dan yuqori", "HbA1c 7% дан юқори"),
    ("glyukoza 5.6 mmol/L, kreatinin 80 µmol/L", "глюкоза 5.6 mmol/L, креатинин 80 µmol/L"),
    ("DMED tizimi, MED-ID raqami", "DMED тизими, MED-ID рақами"),
    ("JSON API orqali", "JSON API орқали"),
    ("DMEDda ro‘yxatdan o‘ting", "DMEDда рўйхатдан ўтинг"),  # an Uzbek suffix is Uzbek
    # Codes: ICD-10, ATC, ticket numbers; "KXT-10" is Uzbek (ICD-10) and is written anew.
    ("Tashxis I10 yoki E11.9, ATX J01CA04", "Ташхис I10 ёки E11.9, АТХ J01CA04"),
    ("Navbat A-017, 12-xona", "Навбат A-017, 12-хона"),
    ("KXT-10 kodi", "КХТ-10 коди"),
    # Drug names in their Latin form; an INN spelt the Uzbek way is Uzbek.
    ("Paracetamol 500 mg, Glucophage", "Paracetamol 500 мг, Glucophage"),
    ("Levotiroksinni ertalab", "Левотироксинни эрталаб"),
    # Addresses, headers and API paths.
    ("info@dmed.uz yoki https://dmed.uz/yordam", "info@dmed.uz ёки https://dmed.uz/yordam"),
    ("X-DMED-Signature sarlavhasi, Idempotency-Key",
     "X-DMED-Signature сарлавҳаси, Idempotency-Key"),
    ("GET /api/v1/drugs/ manzili", "GET /api/v1/drugs/ манзили"),
    ("sababi `code` da", "сабаби `code` да"),
    # Names from code and software in Django's own messages.
    ("get_absolute_url() usuli yo‘q", "get_absolute_url() усули йўқ"),
    ("ManagementForm ma’lumotlari, Django va LDAP", "ManagementForm маълумотлари, Django ва LDAP"),
])
def test_what_must_stay_latin_stays_latin_in_uzbek_cyrillic(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize("uzbek", ["api", "Idish", "Ingliz tili", "Saralash", "JShShIR",
                                   "AB 130/80 mm sim. ust."])
def test_uzbek_words_that_look_like_exceptions_are_transliterated(uzbek):
    # Names are matched case-sensitively and whole: "api" (Uzbek "api") or "Idish" are words.
    assert not any("a" <= ch.lower() <= "z" for ch in latin_to_cyrillic(uzbek))


def test_every_name_kept_latin_survives_transliteration_alone_and_in_a_sentence():
    from dmed.translit import KEEP_LATIN_NAMES

    for name in KEEP_LATIN_NAMES:
        assert latin_to_cyrillic(name) == name
        assert latin_to_cyrillic(f"bu {name} bilan") == f"бу {name} билан"


def test_names_the_caller_knows_stay_latin_with_an_uzbek_suffix_after_them():
    text = "Metformin 500 mg, Metforminni ovqat bilan; metformin tabletka"
    assert latin_to_cyrillic(text) == (
        "Метформин 500 мг, Метформинни овқат билан; метформин таблетка")
    assert latin_to_cyrillic(text, keep=["Metformin"]) == (
        "Metformin 500 мг, Metforminни овқат билан; метформин таблетка")
    # A name inside a longer word is not a name: "Ibu" of a protocol is not kept in "Ibuprofen".
    assert latin_to_cyrillic("Qibuprofen", keep=["ibu"]) == "Қибупрофен"
