"""Clinical protocols shipped with the portal, after the national primary-care protocols
of the Ministry of Health of Uzbekistan and the WHO guidance they follow (HEARTS for
hypertension, PEN for diabetes, IMCI/IMAI for respiratory infections). Each pre-fills a
visit: what to examine, the plan, what to tell the patient; suggested lab tests are the
codes of the laboratory catalogue (clinics.labs), medicines their INN. What the clinician
must fill in is marked [[…]] (a choice as [[none/present]]): a visit still holding such a
mark is not signed (clinics.visits.services.PLACEHOLDER).
"""

PROTOCOLS = [
    {
        "slug": "essential-hypertension",
        "codes": ["I10"],
        "specialty": "Therapy / family medicine",
        "title": {"uz": "Birlamchi arterial gipertenziya", "ru": "Эссенциальная артериальная "
                  "гипертензия", "en": "Essential hypertension"},
        "sections": {
            "examination": {
                "uz": "AB ikkala qo‘lda o‘lchandi. Yurak tonlari: [[…]] Shishlar: [[yo‘q/bor]]. "
                      "Nishon-a’zolar shikastlanishi belgilari: [[…]]",
                "ru": "АД измерено на обеих руках. Тоны сердца: [[…]] Отёки: [[нет/есть]]. "
                      "Признаки поражения органов-мишеней: [[…]]",
                "en": "BP measured on both arms. Heart sounds: [[…]] Oedema: [[none/present]]. "
                      "Signs of target organ damage: [[…]]"},
            "plan": {
                "uz": "EKG. Qon tahlillari: kreatinin, natriy, xolesterin, glyukoza. "
                      "Maqsadli AB < 130/80 mm sim. ust. Nazorat 4 haftadan so‘ng.",
                "ru": "ЭКГ. Анализы: креатинин, натрий, холестерин, глюкоза. "
                      "Целевое АД < 130/80 мм рт. ст. Контроль через 4 недели.",
                "en": "ECG. Labs: creatinine, sodium, cholesterol, glucose. "
                      "Target BP < 130/80 mmHg. Review in 4 weeks."},
            "recommendations": {
                "uz": "Osh tuzini kuniga 5 g gacha kamaytirish, chekmaslik, kuniga 30 daqiqa "
                      "piyoda yurish, uyda AB kundaligini yuritish.",
                "ru": "Ограничить соль до 5 г в сутки, отказ от курения, ходьба 30 минут в "
                      "день, вести дневник АД дома.",
                "en": "Salt under 5 g a day, no smoking, walk 30 minutes a day, keep a home "
                      "BP diary."},
        },
        "lab_tests": ["CREA", "NA", "CHOL", "GLU"],
        "medicines": [
            ("Amlodipine", {"uz": "kuniga bir marta 5 mg",
                           "ru": "5 мг один раз в день",
                           "en": "5 mg once daily"}),
            ("Lisinopril", {"uz": "kuniga bir marta 10 mg",
                           "ru": "10 мг один раз в день",
                           "en": "10 mg once daily"}),
            ("Hydrochlorothiazide", {"uz": "kuniga bir marta 12,5–25 mg",
                                    "ru": "12,5–25 мг один раз в день",
                                    "en": "12.5–25 mg once daily"}),
        ],
    },
    {
        "slug": "type-2-diabetes",
        "codes": ["E11"],
        "specialty": "Endocrinology / family medicine",
        "title": {"uz": "2-tur qandli diabet", "ru": "Сахарный диабет 2 типа",
                  "en": "Type 2 diabetes mellitus"},
        "sections": {
            "examination": {
                "uz": "Oyoq panjalari ko‘rigi (yaralar, sezuvchanlik, monofilament): [[…]] "
                      "Bel aylanasi: [[…]] sm.",
                "ru": "Осмотр стоп (язвы, чувствительность, монофиламент): [[…]] "
                      "Окружность талии: [[…]] см.",
                "en": "Foot examination (ulcers, sensation, monofilament): [[…]] "
                      "Waist circumference: [[…]] cm."},
            "plan": {
                "uz": "HbA1c, och qoringa glyukoza, kreatinin, xolesterin, ALT. Ko‘z tubini "
                      "oftalmolog ko‘rigi yiliga bir marta. Maqsadli HbA1c < 7%.",
                "ru": "HbA1c, глюкоза натощак, креатинин, холестерин, АЛТ. Осмотр глазного "
                      "дна офтальмологом раз в год. Целевой HbA1c < 7%.",
                "en": "HbA1c, fasting glucose, creatinine, cholesterol, ALT. Yearly "
                      "fundus examination. Target HbA1c < 7%."},
            "recommendations": {
                "uz": "Shakar va oq non kamaytirilgan parhez, kuniga 30 daqiqa jismoniy "
                      "faollik, glyukometr bilan o‘z-o‘zini nazorat, oyoqlarni har kuni ko‘rish.",
                "ru": "Диета с ограничением сахара и белого хлеба, 30 минут физической "
                      "активности в день, самоконтроль глюкометром, ежедневный осмотр стоп.",
                "en": "Diet low in sugar and white bread, 30 minutes of activity a day, "
                      "self-monitoring with a glucometer, look at the feet daily."},
        },
        "lab_tests": ["HBA1C", "GLU", "CREA", "CHOL", "ALT"],
        "medicines": [
            ("Metformin", {"uz": "kuniga ikki marta ovqat bilan 500 mg, dozani asta-sekin oshirish",
                          "ru": "500 мг два раза в день во время еды, с титрацией дозы",
                          "en": "500 mg twice daily with meals, titrate"}),
            ("Gliclazide", {"uz": "HbA1c maqsaddan yuqori qolsa, kuniga bir marta 30–60 mg",
                           "ru": "30–60 мг один раз в день, если HbA1c остаётся выше целевого",
                           "en": "30–60 mg once daily if HbA1c stays above target"}),
        ],
    },
    {
        "slug": "acute-upper-respiratory-infection",
        "codes": ["J06"],
        "specialty": "Family medicine",
        "title": {"uz": "Yuqori nafas yo‘llarining o‘tkir infeksiyasi",
                  "ru": "Острая инфекция верхних дыхательных путей",
                  "en": "Acute upper respiratory infection"},
        "sections": {
            "examination": {
                "uz": "Tomoq: giperemiya [[…]] Bodomsimon bezlar: [[…]] Burun nafasi: [[…]] "
                      "O‘pkada nafas: vezikulyar, xirillashlar yo‘q.",
                "ru": "Зев: гиперемия [[…]] Миндалины: [[…]] Носовое дыхание: [[…]] "
                      "Дыхание в лёгких везикулярное, хрипов нет.",
                "en": "Throat: redness [[…]] Tonsils: [[…]] Nasal breathing: [[…]] "
                      "Lungs: vesicular breathing, no crackles."},
            "plan": {
                "uz": "Simptomatik davo. Antibiotik ko‘rsatilmagan. Harorat 3 kundan ortiq "
                      "saqlansa — umumiy qon tahlili, CRP.",
                "ru": "Симптоматическое лечение. Антибиотики не показаны. При лихорадке "
                      "дольше 3 дней — общий анализ крови, СРБ.",
                "en": "Symptomatic treatment. Antibiotics not indicated. Fever beyond 3 days: "
                      "blood count, CRP."},
            "recommendations": {
                "uz": "Ko‘p suyuqlik ichish, dam olish. Nafas qisishi, 39 °C dan yuqori "
                      "harorat bo‘lsa darhol murojaat qilish.",
                "ru": "Обильное питьё, покой. При одышке или температуре выше 39 °C "
                      "обратиться немедленно.",
                "en": "Plenty of fluids, rest. Come back at once with shortness of breath "
                      "or fever above 39 °C."},
        },
        "lab_tests": ["WBC", "CRP"],
        "medicines": [
            ("Paracetamol", {"uz": "isitma yoki og‘riqda kuniga 4 martagacha 500 mg",
                            "ru": "500 мг до 4 раз в день при лихорадке или боли",
                            "en": "500 mg up to 4 times a day for fever or pain"}),
            ("Ibuprofen", {"uz": "ovqatdan keyin kuniga 3 martagacha 200–400 mg",
                          "ru": "200–400 мг до 3 раз в день после еды",
                          "en": "200–400 mg up to 3 times a day after meals"}),
        ],
    },
    {
        "slug": "iron-deficiency-anaemia",
        "codes": ["D50"],
        "specialty": "Therapy / haematology",
        "title": {"uz": "Temir tanqisligi kamqonligi", "ru": "Железодефицитная анемия",
                  "en": "Iron deficiency anaemia"},
        "sections": {
            "examination": {
                "uz": "Teri va shilliq qavatlar rangparligi: [[…]] Tirnoqlar, sochlar: [[…]] "
                      "Yurak cho‘qqisida sistolik shovqin: [[…]]",
                "ru": "Бледность кожи и слизистых: [[…]] Ногти, волосы: [[…]] "
                      "Систолический шум на верхушке: [[…]]",
                "en": "Pallor of skin and mucosa: [[…]] Nails, hair: [[…]] "
                      "Apical systolic murmur: [[…]]"},
            "plan": {
                "uz": "Gemoglobin, trombotsitlar, ferritin. Qon yo‘qotish manbasini aniqlash. "
                      "Temir preparati 3 oy, gemoglobin nazorati 4 haftadan so‘ng.",
                "ru": "Гемоглобин, тромбоциты, ферритин. Поиск источника кровопотери. "
                      "Препарат железа 3 месяца, контроль гемоглобина через 4 недели.",
                "en": "Haemoglobin, platelets, ferritin. Look for blood loss. Oral iron for "
                      "3 months, haemoglobin again in 4 weeks."},
            "recommendations": {
                "uz": "Go‘sht, jigar, dukkaklilar iste’mol qilish; temir preparatini choy "
                      "bilan ichmaslik.",
                "ru": "Мясо, печень, бобовые в рационе; не запивать препарат железа чаем.",
                "en": "Meat, liver, legumes; do not take the iron tablets with tea."},
        },
        "lab_tests": ["HGB", "PLT", "FERR"],
        "medicines": [
            ("Ferrous sulfate", {"uz": "elementar temir kuniga 100–200 mg",
                                "ru": "элементарное железо 100–200 мг в сутки",
                                "en": "Elemental iron 100–200 mg a day"}),
            ("Folic acid", {"uz": "homiladorlikda kuniga 1 mg",
                           "ru": "1 мг в сутки при беременности",
                           "en": "1 mg a day in pregnancy"}),
        ],
    },
    {
        "slug": "hypothyroidism",
        "codes": ["E03"],
        "specialty": "Endocrinology",
        "title": {"uz": "Gipotireoz", "ru": "Гипотиреоз", "en": "Hypothyroidism"},
        "sections": {
            "examination": {
                "uz": "Qalqonsimon bez paypaslanganda: [[…]] Teri quruqligi, shishlar: [[…]] "
                      "Puls: [[…]]",
                "ru": "Щитовидная железа при пальпации: [[…]] Сухость кожи, отёки: [[…]] "
                      "Пульс: [[…]]",
                "en": "Thyroid on palpation: [[…]] Dry skin, oedema: [[…]] Pulse: [[…]]"},
            "plan": {
                "uz": "TTG, xolesterin. Levotiroksin dozasini TTG bo‘yicha 6–8 haftada "
                      "moslash.",
                "ru": "ТТГ, холестерин. Подбор дозы левотироксина по ТТГ через 6–8 недель.",
                "en": "TSH, cholesterol. Adjust levothyroxine by TSH every 6–8 weeks."},
            "recommendations": {
                "uz": "Levotiroksinni ertalab och qoringa, nonushtadan 30 daqiqa oldin "
                      "ichish; yodlangan tuz.",
                "ru": "Левотироксин утром натощак за 30 минут до завтрака; йодированная соль.",
                "en": "Levothyroxine in the morning, fasting, 30 minutes before breakfast; "
                      "iodised salt."},
        },
        "lab_tests": ["TSH", "CHOL"],
        "medicines": [
            ("Levothyroxine sodium", {"uz": "kuniga 25–50 mkg, TTG bo‘yicha moslanadi",
                                     "ru": "25–50 мкг в сутки, доза по ТТГ",
                                     "en": "25–50 µg a day, adjusted by TSH"}),
        ],
    },
    {
        "slug": "community-acquired-pneumonia",
        "codes": ["J18"],
        "specialty": "Therapy / pulmonology",
        "title": {"uz": "Shifoxonadan tashqari pnevmoniya", "ru": "Внебольничная пневмония",
                  "en": "Community-acquired pneumonia"},
        "sections": {
            "examination": {
                "uz": "Nafas soni: [[…]] /daq. Perkussiyada: [[…]] "
                      "Auskultatsiyada xirillashlar: [[…]] "
                      "CRB-65 ball: [[…]]",
                "ru": "ЧДД: [[…]] /мин. Перкуторно: [[…]] Аускультативно хрипы: [[…]] "
                      "CRB-65: [[…]] баллов.",
                "en": "Respiratory rate: [[…]] /min. Percussion: [[…]] Crackles: [[…]] "
                      "CRB-65 score: [[…]]"},
            "plan": {
                "uz": "Ko‘krak qafasi rentgenogrammasi. Umumiy qon tahlili, CRP, mochevina. "
                      "CRB-65 ≥ 2 bo‘lsa — kasalxonaga yotqizish.",
                "ru": "Рентгенография грудной клетки. ОАК, СРБ, мочевина. "
                      "При CRB-65 ≥ 2 — госпитализация.",
                "en": "Chest X-ray. Blood count, CRP, urea. CRB-65 of 2 or more: admit."},
            "recommendations": {
                "uz": "Antibiotikni to‘liq kurs ichish, ko‘p suyuqlik. 48–72 soatdan so‘ng "
                      "qayta ko‘rik.",
                "ru": "Полный курс антибиотика, обильное питьё. Повторный осмотр через "
                      "48–72 часа.",
                "en": "Finish the antibiotic course, plenty of fluids. Review in 48–72 hours."},
        },
        "lab_tests": ["WBC", "CRP", "UREA"],
        "medicines": [
            ("Amoxicillin", {"uz": "5–7 kun davomida kuniga uch marta 1 g",
                            "ru": "1 г три раза в день 5–7 дней",
                            "en": "1 g three times a day for 5–7 days"}),
            ("Azithromycin", {"uz": "penitsillinga allergiyada 3 kun davomida kuniga bir "
                                     "marta 500 mg",
                             "ru": "500 мг один раз в день 3 дня при аллергии на пенициллин",
                             "en": "500 mg once daily for 3 days if allergic to penicillin"}),
        ],
    },
]
