"""What clinicians type for common diagnoses when the classifier's title says otherwise.

The official titles are formal ("Эссенциальная [первичная] гипертензия"); a doctor types
"гипертония" or "gipertoniya". These names are folded into the code's search key only
(`icd10_search_text`), never shown. Russian and Uzbek Latin (search folds the scripts, so
Uzbek Cyrillic needs no entry). Keep it to names in everyday clinical use.
"""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "I10": ("гипертония", "гипертоническая болезнь", "артериальная гипертензия",
            "gipertoniya", "gipertoniya kasalligi", "arterial gipertenziya",
            "qon bosimi oshishi"),
    "I25.1": ("ИБС", "ишемическая болезнь сердца", "yurak ishemik kasalligi"),
    "I21.9": ("yurak infarkti",),
    "I64": ("insult", "мозговой инсульт"),
    "E10": ("сахарный диабет 1 типа", "qandli diabet 1-tur"),
    "E11": ("сахарный диабет 2 типа", "qandli diabet 2-tur"),
    "E66.9": ("semizlik",),
    "D50.9": ("kamqonlik", "железодефицитная анемия"),
    "J06.9": ("ОРВИ", "O‘RVI", "shamollash"),
    "J18.9": ("zotiljam",),
    "J45.9": ("bronxial astma", "бронхиальная астма"),
    "K29.7": ("oshqozon yallig‘lanishi",),
    "K80.2": ("желчнокаменная болезнь", "o‘t-tosh kasalligi"),
    "N39.0": ("инфекция мочевых путей", "siydik yo‘llari infeksiyasi"),
}
