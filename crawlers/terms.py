"""The Idlib term families: one concept's spellings across Latin, Arabic, Turkish and Cyrillic
scripts and common transliterations, with its weight. Data shared by the relevance filter
(``pipeline.articles.relevance``) and the archives' byte pre-filter (``crawlers.archives.prefilter``).
"""
from __future__ import annotations

from crawlers.registry import CONFLICT_NAMES

# family name -> (weight, spellings). Spellings are matched case-insensitively on
# word boundaries after NFKC normalisation; Arabic spellings also match with a
# leading conjunction or preposition (و، ب، ل، ف، ك), Cyrillic ones with a case ending.
TERMS: dict[str, tuple[float, tuple[str, ...]]] = {
    "Idlib": (2.0, (*dict.fromkeys(n.lower() for n in CONFLICT_NAMES.values()), "idleb", "edlib", "idlip", "идлибск\\w*")),
    "Saraqib": (1.0, ("saraqib", "saraqeb", "serakib", "sarakib", "سراقب", "серакиб\\w*", "саракиб\\w*")),
    "Maarat al-Numan": (1.0, ("maarat al-? ?numan", "maarat al-? ?nouman", "ma'arrat al-? ?nu'man", "maaret el-? ?numan",
                              "maarrat al-? ?numan", "معرة النعمان", "мааррат-эн-нууман\\w*", "мааррат\\w*")),
    "Jisr al-Shughur": (1.0, ("jisr al-? ?shughur", "jisr ash-? ?shughur", "jisr al-? ?shughour", "cisr[- ]?i?[sş]u[gğ]ur",
                              "جسر الشغور", "джиср-эш-шугур\\w*")),
    "Jabal al-Zawiya": (1.0, ("jabal al-? ?zawiya", "jabal zawiya", "jebel zawiya", "zawiya mountain", "zaviye dağı\\w*",
                              "جبل الزاوية", "джебель-завия")),
    "Atarib": (1.0, ("atarib", "al-atarib", "el-atarib", "الأتارب", "الاتارب", "атариб\\w*")),
    "Sarmada": (1.0, ("sarmada", "sermede", "سرمدا", "сармада")),
    "Ariha": (1.0, ("ariha", "erihe", "أريحا", "ариха")),
    "Kafranbel": (1.0, ("kafranbel", "kafr nabl", "كفرنبل")),
    "Atmeh": (1.0, ("atmeh", "atma", "atmé", "أطمة", "اطمة", "атма")),
    "Bab al-Hawa": (1.0, ("bab al-? ?hawa", "bab el-? ?hawa", "cilvegözü", "باب الهوى", "баб-эль-хава")),
    "M4 highway": (1.0, ("m4 highway", "m-4 highway", "m4 karayolu", "m4 road", "طريق m4", "الطريق الدولي m4", "трасс\\w* м-?4")),
    "M5 highway": (0.5, ("m5 highway", "m-5 highway", "m5 karayolu", "طريق m5", "трасс\\w* м-?5")),
    "Hayat Tahrir al-Sham": (1.0, ("hayat tahrir al-? ?sham", "hts", "heyet tahrir el-? ?şam", "hey'et tahrir", "هيئة تحرير الشام",
                                   "хайят тахрир аш-шам", "хайят тахрир")),
    "Jabhat al-Nusra": (1.0, ("jabhat al-? ?nusra", "nusra front", "al-nusra", "جبهة النصرة", "джебхат ан-нусра")),
    "Hurras al-Din": (1.0, ("hurras al-? ?din", "hurras ad-din", "حراس الدين", "хуррас ад-дин")),
    "National Front for Liberation": (0.5, ("national front for liberation", "الجبهة الوطنية للتحرير")),
    "Syrian army": (0.5, ("syrian arab army", "saa", "الجيش العربي السوري", "сирийская арабская армия", "suriye ordusu")),
    "Turkish army": (0.5, ("turkish army", "turkish military", "türk silahlı kuvvetleri", "tsk", "الجيش التركي", "турецк\\w* военн\\w*")),
    "Reconciliation Center": (1.0, ("russian reconciliation cent(?:er|re)", "reconciliation cent(?:er|re)", "центр\\w* по примирению",
                                    "مركز المصالحة الروسي")),
    "de-escalation zone": (1.0, ("de-?escalation zone", "зон\\w* деэскалации", "منطقة خفض التصعيد", "gerginliği azaltma bölgesi")),
    "northwest Syria": (1.0, ("north-? ?west(?:ern)? syria", "nord-ouest de la syrie", "kuzeybatı suriye", "شمال غرب سوريا",
                              "северо-запад\\w* сирии")),
}
