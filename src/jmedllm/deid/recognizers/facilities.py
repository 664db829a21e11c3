"""FACILITY: hospitals, clinics, pharmacies, care homes, schools, workplaces, wards.

A facility name in Japanese is a *name part* glued to a *type word*: ``さくら`` + ``病院``,
``医療法人社団 健心会`` + ``さくら病院``, ``わかば`` + ``保育園``, or a care-home kind written
first (``グループホーム`` + ``さくら``). The type word alone is a generic reference (``病院``,
``大学病院``, ``当院``, ``近医``) and must stay, so the rule is:

1. find type words with one trie regex over the text (no per-token loop);
2. walk the shared morphological tokens backwards from it while they can be part of a
   name (nouns, prefixes, katakana, alphanumerics, ``・``), stopping at particles,
   punctuation, verbs, adjectives, adverbial nouns (毎年, 翌日, ため) and words that make a
   reference relative or generic (当/近/他/同/各, 大きな, 地域の, 紹介元, かかりつけ …:
   ``lexicons/facility_stopwords.txt``);
3. take in a kana name before it that MeCab cut into odd pieces (``とね|やま``, ``こう|のす``,
   ``はち|の|へ``, ``こころ|の``): the run of hiragana back to a non-kana character, less the
   particles and verbs that glue it to the word before (``2021年に|はちのへ``) — unless the
   run is only function words (すぐ病院, このため, ふだんは病院);
4. keep the candidate only if the name part is specific — not only type or department
   words (市民, 県立, 総合, 消化器, 連携, 急性期 …: ``facility_generic.txt``). Weak type words
   (センター, 銀行, 工業) and departments (山田整形外科) also need a proper noun, kana,
   alphanumerics, name characters (北斗, 東雲) or a word UniDic does not know. A generic
   name right before a colon is a form label (``連携病院：``);
5. a kind written first, and a generic type phrase followed by a space, take the name after
   them (``グループホームさくら``, ``特別養護老人ホーム 潮騒の里``, ``回復期リハビリテーション病院
   みどりの丘``, ``合同会社 でいごタクシー``): kana, kanji, katakana and an inner ``の``, up to
   punctuation, a space, a particle, a stop word or a person's title; so does a form label
   whose value is a facility (``施設名：やすらぎの郷``, ``facility_labels.txt``);
6. extend over a corporation or home kind written before it with spaces
   (``社会福祉法人 緑風会``, ``障害者支援施設 あけぼの学園``) and over a branch after it
   (``すこやか薬局 春日店``, ``消防本部 首里出張所``); accept prefix-form companies
   (``株式会社ABC``, ``(株)ABC`` after NFKC of ``㈱``);
7. names in other scripts: capitalised words before Hospital, Clinic, Medical Center,
   Pharmacy, Nursing Home, School, Co., Ltd. … (``facility_english_*.txt``, not generic words
   alone: General Hospital), after a type word written first (Hospital Santa Aurora, Bệnh
   viện Hòa Bình: ``facility_foreign_prefixes.txt``), and hangul before 병원, 의원, 약국 ….

A department after the name (``さくら病院 循環器内科``, ``さくら病院循環器内科``) is *not* part of
the span: it is not identifying on its own and keeping it readable helps downstream use; a
clinic *named* by departments (``こうのす内科リウマチ科``) is one name. Wards and rooms
(``5階東病棟``, ``305号室``; the rules are in :mod:`._wards`) are FACILITY too (REFERENCE §1), unless the option
``{"names.facility": {"wards": False}}`` turns them off.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import cache
from importlib import resources

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext, Token
from jmedllm.deid.lexicons import load_lexicon, name_kanji
from jmedllm.deid.morphology import (
    KANJI,
    KATAKANA,
    Morphemes,
    is_unknown_word,
    morphemes,
    token_ending_at,
    token_starting_at,
    words_regex,
)
from jmedllm.deid.recognizers._wards import floor_start, wards

__all__ = ["FacilityRecognizer"]


def _words(text: str) -> list[str]:
    """A space-separated word list (keeps long lists readable)."""
    return text.split()


@cache
def _own_lexicon(name: str) -> frozenset[str]:
    """A list only this module reads (``lexicons/facility_*.txt``), loaded like
    :func:`~jmedllm.deid.lexicons.load_lexicon`: NFKC, ``#`` comment lines skipped."""
    text = resources.files("jmedllm.deid.lexicons").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    entries = (unicodedata.normalize("NFKC", line.strip()) for line in text.splitlines())
    return frozenset(e for e in entries if e and not e.startswith("#"))


_STRONG = load_lexicon("facility_suffixes")
_WEAK = load_lexicon("facility_weak_suffixes")
# Clinics are often named after their department: 山田整形外科, さくら眼科. Treated like
# weak suffixes (the name part needs a proper noun), so 消化器内科 stays a department.
_DEPARTMENTS = load_lexicon("departments")
_SUFFIXES = _STRONG | _WEAK | _DEPARTMENTS
_SUFFIX_RE = re.compile(words_regex(_SUFFIXES))
_WEAK_SET = _WEAK | _DEPARTMENTS
# A department glued after one of these belongs to that hospital (さくら病院循環器内科).
_HOSPITAL_END = re.compile("(?:" + words_regex(_STRONG - _DEPARTMENTS) + ")\\Z")
# A branch after the name: すこやか薬局 春日店, 本町通店, 消防本部 首里出張所.
_BRANCH = re.compile(
    "(?:"
    + words_regex(
        _words(
            "店 支店 分院 営業所 出張所 本店 支所 分所 分室 分署 消防署 号店 支部 工場 営業部 本社 オフィス"
        )
    )
    + ")\\Z"
)
_BRANCH_TAIL = re.compile("[店院所室署部場社ス]")  # the last characters of the branch words
# Branch words that name the branch alone (山梨中央信用組合 本店), with nothing before them.
_BRANCH_ALONE = frozenset(_words("本店 本院"))
# Words a branch name may hold although they stop a facility name (本町通店).
_BRANCH_OK = frozenset(_words("通 通り 駅前 前"))
# What follows a company name without belonging to it: (株)ABC勤務, 渡辺印刷 is a name.
_AFTER_COMPANY = frozenset(
    _words(
        "勤務 在籍 退職 入社 就職 経営 勤続 所属 出向 派遣 就労 勤め 定年 退社 休職 復職 転職 在職 社員 従業員 職員"
    )
)
_AFTER_COMPANY_WORDS = tuple(_AFTER_COMPANY)
# Kinds written before the name: グループホームさくら, 訪問看護ステーションあおば, and with a
# space: 特別養護老人ホーム 潮騒の里, 介護タクシー はいさい.
_KINDS = load_lexicon("facility_kinds")
_KIND_FIRST = re.compile(words_regex(_KINDS) + " ?")
# A suffix glued to these is another word: 東京大学生, 保育園児 stay facilities, but
# 大学生 makes 大学 a student, not a school.
_NOT_AFTER = {
    "大学": "生",
    "高校": "生",
    "中学校": "生",
    "小学校": "生",
    "ホーム": "ペヘ",
    "ハウス": "ダ",
    "財団": "法",  # 一般財団法人: the corporation type, not a foundation's name
    **dict.fromkeys(_DEPARTMENTS, "医的系領域学部"),  # 内科医, 外科的
}
# Service words that end a name only where the word ends (つばさ訪問看護:, not 訪問看護師).
_COMPOUNDING = frozenset(_words("訪問看護 訪問介護 訪問リハビリ 訪問診療 ケアプラン 葬祭 典礼 支所 庁舎"))
# Words that end the backward walk and are not part of the name.
_STOP = load_lexicon("facility_stopwords")
# Words that may be part of a name but do not make it specific (市民病院, 県立中央病院).
_GENERIC = load_lexicon("facility_generic")
_CORP = sorted(load_lexicon("corporations"))
_WORD_CHARS = f"{KANJI}{KATAKANA}A-Za-z0-9"
# Written before a name with a space: the corporation, its 〇〇会, or the kind of home
# (特別養護老人ホーム 緑風苑); without a space the backward walk takes them in anyway.
_CORP_RE = words_regex([*_CORP, *_KINDS])
_CORP_BEFORE = re.compile(
    f"(?:(?P<corp>{_CORP_RE})(?: ?(?:{_CORP_RE}))? ?(?:(?P<kai1>[{_WORD_CHARS}\u3041-\u3096]{{1,10}})会 ?)?"
    f"|(?<![{_WORD_CHARS}])(?P<kai2>[{_WORD_CHARS}]{{1,8}})会 )\\Z"
)
# A company's name after its prefix: letters of any script up to a boundary, a particle
# before a non-kana word (に依頼, の社員) or a word of employment.
_COMPANY_NAME = re.compile(
    f"[{_WORD_CHARS}\u3041-\u3096ー・&]{{2,20}}?"
    "(?=[\\s、。,.()「」『』【】/:]|$|(?:に|の|で|へ|から|より|を|が|は|と|も)(?![\u3041-\u3096])|勤務|在籍|入社|退職|就職|所属|社員)"
)
# Prefix-form names: 株式会社ABC, (株)ABC (NFKC of ㈱), NPO法人ひまわりネット, 社会福祉法人さくら会.
_CORP_COMPANY = re.compile(
    f"(?P<co>株式会社|有限会社|合同会社|\\(株\\)|\\(有\\)|NPO法人|特定非営利活動法人|\\(NPO\\)|\\(特非\\)) ?(?=[{_WORD_CHARS}\u3041-\u3096])"
    f"|(?:{words_regex(_CORP)}) ?(?P<kai>[{_WORD_CHARS}\u3041-\u3096]{{1,12}})会"
)
# Every prefix-form company or corporation holds one of these; the full pattern is tried
# only around them (a regex with many alternatives costs at every position of the text).
_HAS_CORP = re.compile("会社|法人|\\((?:株|有|医|社|福|財|独|地独|学|一|公|特非|宗|NPO)")
_GENERIC_KAI = frozenset(
    _words("学 研究 家族 医師 勉強 講演 説明 協議 委員 評議 理事 自治 町内 親 患者 懇談 研修")
)
_KATA_WORD = re.compile(f"[{KATAKANA}]+")
_ALNUM = re.compile("[A-Za-z0-9&]+")
_HIRA_WORD = re.compile("[\u3041-\u3096]+")
_KANA_WORD = re.compile(f"[\u3041-\u3096{KATAKANA}]+")
_HIRA_RUN = re.compile("[\u3041-\u3096ー]+")  # hiragana with the long-vowel mark: ゆいまーる
_KANJI_WORD = re.compile(f"[{KANJI}]+")
_WORD_CHAR = re.compile(f"[{_WORD_CHARS}]")
_HIRA = frozenset(map(chr, range(0x3041, 0x3097)))
_NAME_POS = frozenset({"名詞", "接頭辞"})
_PARTICLES = frozenset(_words("の が を に は で と へ も から より まで など て た だ"))
# Parts of speech that cannot make a kana name by themselves (すぐ病院, このため, ふだんは病院).
_FUNCTION_POS = frozenset(_words("助詞 助動詞 連体詞 接続詞 副詞 代名詞"))
# Particles that cannot end a kana name glued to its type word (ふだんは|病院, おばあちゃんは|病院);
# か, へ, と, や and の can (つくしがおか, はちのへ, やまと, こころの).
_CASE_PARTICLES = frozenset(_words("は が を に で も から まで より って"))
_GA_PLACE = frozenset("丘岡崎浜原谷関島池峰森台野沢瀬山")
# …and of these, the ones that never stand inside a kana name: the run starts after them.
_HARD_STOP_POS = frozenset(_words("連体詞 接続詞 代名詞"))
# Kana words that place a facility relative to something (となりの病院, よその病院): no names,
# although the same kana may begin one (なかの内科, もとまち病院).
_RELATIONAL = frozenset(
    _words(
        "よそ べつ おなじ もと つぎ ちかく となり むかい じもと いなか まち むら そば まわり そと ほか まえ"
    )
)
# Auxiliaries that end a name written after its kind (デイサービス さくらです); る of ゆいまーる does not.
_COPULAS = frozenset(_words("だ です でし でした た ます まし ない ず ぬ う よう らしい"))
# Suffixes that continue the kind word rather than name it (グループホーム長, ステーション内).
_NOT_NAME_SUFFIX = frozenset(
    _words("長 化 的 用 内 外 側 等 式 型 系 向け 別 毎 中 後 前 下 上 間 費 代 料 達 ら 様 さん 殿 員 者")
)
# Last characters of kanji-only names written after their kind (特別養護老人ホーム 潮騒の里).
_HOME_END = frozenset("苑園荘寮里丘郷館家庵森杜邸舎亭路")
# A kana name after a kind and a space, up to a boundary, or up to a home's last kanji
# (救護施設 みなと寮の…, 介護医療院 しなの路, 訪問看護ステーション つくしんぼ).
_BOUNDARY = r"[\s、。,.()）」】/:]|$"
# Also a kanji word before the home's last kanji (きそがわ悠々館), and a name "X の Y" with a
# kanji Y up to a boundary (杜の都, みどりの風).
_KANA_NAME_AFTER = re.compile(
    "(?P<name>(?![のにをはがでともへや])[\u3041-\u3096ー]{2,8}"
    f"(?:の?[{KANJI}々]{{0,3}}[{''.join(sorted(_HOME_END))}](?={_BOUNDARY}|[のにへでをはが])|(?={_BOUNDARY}))"
    f"|(?:[\u3041-\u3096ー]{{2,6}}|[{KANJI}])の[{KANJI}]{{1,2}}(?={_BOUNDARY}))"
)
# After 株式会社 (no space), a kana name runs up to a particle too (株式会社あしたかの…).
_KANA_COMPANY_AFTER = re.compile(
    f"(?P<name>[\\u3041-\\u3096ー]{{3,8}}?)(?={_BOUNDARY}|[のにでをはがへと][^\\u3041-\\u3096])"
)
# A kana name glued to its kind and running to a boundary (訪問看護ステーションいくの（).
_KANA_NAME_GLUED = re.compile(
    f"(?P<name>(?![のにをはがでともへやし])[\\u3041-\\u3096ー]{{2,8}})(?={_BOUNDARY})"
)
# Verb and auxiliary endings: kana after a kind that is a clause (ショートステイしている).
_VERBAL_KANA = re.compile(
    "して|する|した|され|させ|てい|だっ|たい|ため|こと|よう|から|まで|など|ので|けど|れる|られ|より|にて|ついて|おいて"
)
# What stands in quotes after a kind without naming it (デイケア「利用中」, 「参加予定」).
_NOT_QUOTED_NAME = re.compile(
    "中$|予定|済|希望|検討|利用|参加|終了|開始|継続|中止|見学|体験|なし|あり|です|ます|した|する|ない"
)
# Kana that is a sentence, not a name (デイサービス ありがとうございました).
_NOT_KANA_NAME = re.compile(
    "ます|です|まし|ませ|でし|ござい|ください|ありがと|よろしく|した$|ない$|られ|^(?:なし|あり|ある|とくに|みてい|ふめい|いない|おなじ)$"
)
# A title or honorific after the words: a person (デイサービス 山田先生), not a facility.
_PERSON_CUES = (
    load_lexicon("person_honorifics") | load_lexicon("person_titles") | load_lexicon("person_roles")
)
# English names: Sakuragawa General Hospital, Minato Clinic, Kaede Trading Co., Ltd.
_EN_SUFFIXES = frozenset(w for e in _own_lexicon("facility_english_suffixes") for w in (e, e.upper()))
_EN_BEFORE = re.compile(
    r"(?<![A-Za-z0-9'’.&-])(?:(?!(?:Dr|Mr|Mrs|Ms|Prof)\.)[A-Z0-9][A-Za-z0-9'’.&-]*,? (?:(?:of|the|and|for|de|du|la) )*){1,7}\Z"
)
_EN_GENERIC = _own_lexicon("facility_english_generic")
# Latin-script text at all (Minato Clinic, Hospital Santa Aurora): gates the two rules below.
_LATIN = re.compile("[A-Z][A-Za-z]")
# The type word first (Portuguese, Spanish, Vietnamese …): Hospital Santa Aurora, Clínica São Lucas.
_FOREIGN_PREFIXES = _own_lexicon("facility_foreign_prefixes")
# Both kinds of type word in one pass over the text (each regex costs at every position).
_LATIN_TYPE = re.compile(words_regex(_EN_SUFFIXES | _FOREIGN_PREFIXES) + "(?![A-Za-z])")
_FOREIGN_LINKS = frozenset(_words("de da do das dos del la e y"))
# Korean names: 서울하늘병원, 미소치과 (the hangul run before the type word is the name).
_HANGUL = re.compile("[\uac00-\ud7a3]")
_HANGUL_NAME = re.compile(
    "(?<![\uac00-\ud7a3])(?P<name>[\uac00-\ud7a3]{2,12}?)(?:대학교병원|대학병원|병원|한의원|의원|클리닉|약국|치과|요양원|센터)"
)
_HANGUL_GENERIC = frozenset(
    ["대학", "종합", "요양", "동네", "개인", "전문", "지역", "국립", "시립", "대학교"]
)
# Form labels whose value is a facility name: 施設名：ひだまりの郷.
_LABEL = re.compile("(?:" + words_regex(_own_lexicon("facility_labels")) + ") ?\\Z")
_EN_LETTER = re.compile("[A-Z]")
# After a type word written first, an ID label: Hospital No. 123, Hospital Number, Hospital ID.
_ID_LABEL = re.compile(r"(?:No|Nr|Number|Num|ID|Id|Record|Reg)(?![A-Za-z])")
# A brand before a branch (ヒマラヤキッチン 船橋本町店): katakana or capitalised Latin words.
_SHOP = re.compile("(?<![店])店(?![員舗主長内頭])")
_BRAND_BEFORE = re.compile(
    f"(?<![{KATAKANA}A-Za-z])(?P<brand>[{KATAKANA}]{{3,}}|[A-Z][A-Za-z&']+(?: [A-Z][A-Za-z&']+)*) ?[{KANJI}{KATAKANA}]{{1,8}}\\Z"
)
# A given name and a title, or a title, after a word: the word is a surname.
_PERSON_AFTER = re.compile(
    f"(?: (?!{words_regex(_DEPARTMENTS)}(?:医師|看護師))[{KANJI}]{{1,3}})? ?(?:先生|様|さん|医師|氏|殿|Dr|看護師|薬剤師)"
)  # (歯科医師 is a role after the clinic, 与那覇 先生 a person of it)
# A form field's value: up to a bracket, punctuation, a wide gap or the line's end.
_FIELD_VALUE = re.compile(r"[^\s、。,()「」【】:/]{2,30}")
# A value that describes a facility instead of naming it: 自宅近くの病院, 当院, 近医の内科.
_NOT_FIELD_NAME = re.compile(
    "^(?:自宅|当院|他院|近医|前医|未定|不明|なし|同上|市内|県内|地元)|近く|近所|付近|の(?:病院|医院|診療所|クリニック|内科|施設)$"
)
_SUFFIX_END = re.compile("(?:" + words_regex(_STRONG - _DEPARTMENTS) + ")\\Z")
# Ambulance units: a station's place name, 救急 and the unit number (住之江救急1, 首里救急).
_AMBULANCE = re.compile(
    f"(?<![{KANJI}])(?P<place>[{KANJI}]{{2,5}})救急(?:隊)?[0-9]{{0,2}}(?=[\\s(、,:]|隊長|$)"
)
_AMBULANCE_GENERIC = frozenset(
    _words("一次 二次 三次 夜間 休日 小児 時間外 高度 初期 救命 病院 当院 他院 搬送 要請 民間 消防 通常 院内")
)
# A house number right after a span (…森南1-5-1, …東1-15-3, …2丁目) and a municipality inside it.
_HOUSE_NUMBER_AFTER = re.compile(r"[東西南北]?[0-9]{1,4}(?:-[0-9]{1,4}){1,3}|[東西南北]?[0-9]{1,2}丁目")
_MUNICIPALITY = re.compile(f"[{KANJI}]{{1,5}}[市区町村郡]")
# A clinic named in kana before a department or a clinic word, the kana standing alone
# (not the end of a longer kana phrase: すぐ内科, いつもの内科 are stop or relational words).
# Found from the department word (a trie of literals, so the scan skips ahead), then the
# kana before it is read back.
_CLINIC_WORD = re.compile(
    words_regex(
        _words(
            "内科 外科 眼科 皮膚科 耳鼻咽喉科 耳鼻科 泌尿器科 胃腸科 小児科 整形外科 歯科 産婦人科 婦人科 "
            "精神科 心療内科 脳神経外科 循環器内科 消化器内科 形成外科 リウマチ科 クリニック 医院 診療所 薬局"
        )
    )
    + "(?:医院|クリニック|診療所)?"
)
_KANA_BEFORE_CLINIC = re.compile(
    "(?<![\u3041-\u3096ー])(?P<name>(?![ご])[\u3041-\u3096ー]{3,12})(?<![のにをはがでともへや])"
    "(?:駅前|中央|本町)?\\Z"
)
_LEADING_PARTICLE = re.compile("より|から|まで|にて|では|には|で|に|は|を|が|へ|と|も|の")
# After a one-kana particle at a boundary, kana that make it a clause rather than a name.
_HIRA_PARTICLE_SECOND = frozenset("ちもみ")
# Kana words that stand before a department without naming a clinic (あした内科に行く).
_NOT_CLINIC_KANA = frozenset(
    _words(
        "あした あす きょう きのう こんど つぎ まず また さらに すぐに いつも いま あとで はじめ ちかく となり"
    )
)
# A municipal or prefectural institution: 川崎市立はるひ野小学校, 横浜市立みなと中学校 (found
# from 立, then the municipality before it is read back).
_PUBLIC_INSTITUTION = re.compile(
    f"[都道府県市区町村]立 ?(?!の)[\\u3041-\\u3096{KATAKANA}{KANJI}]{{2,12}}?"
    "(?:小学校|中学校|高等学校|高校|中等教育学校|義務教育学校|特別支援学校|幼稚園|保育園|保育所|こども園|病院|医療センター)"
)
_MUNICIPALITY_BEFORE = re.compile(f"[{KANJI}]{{1,5}}\\Z")
# The office of a municipality or prefecture, found from its last word (課, 係, 協議会,
# センター …) and read back to the municipality: 富山市 介護保険課, 長崎県 県央保健所,
# 新潟市 中央区役所. Only the first office after the municipality: a section after an
# office (区役所 保護課) is a department, which is no part of a facility's name; 同市役所,
# 当県 are no names.
_OFFICE_END = re.compile("課|係|局|協議会|委員会|保健所|事務所|区役所|役所|役場|支所|センター|国民健康保険")
# (and the cities whose names are written in kana: うるま市, つくばみらい市)
_KANA_CITIES = (
    "さいたま|つくばみらい|つくば|ひたちなか|かすみがうら|いわき|うるま|みどり|いなべ|むつ|つがる|にかほ|"
    "かほく|あわら|えびの|うきは|みやま|たつの|さぬき|みよし|南アルプス|いちき串木野|あきる野"
)
_MUNICIPAL_OFFICE = re.compile(
    f"(?P<muni>(?<![{KANJI}])[{KANJI}]{{1,5}}[都道府県市区町村]|(?<![\\u3041-\\u3096])(?:{_KANA_CITIES})市) ?"
    f"(?:(?!区役所|役所|役場|保健所|支所|センター)[{KANJI}\\u3041-\\u3096{KATAKANA}・]){{0,12}}?"
    "(?:課|係|局|協議会|委員会|保健所|事務所|区役所|役所|役場|支所|センター|国民健康保険)\\Z"
)
_NOT_MUNICIPALITY_HEAD = frozenset("同当各本他全両")
_UNIT_CHAR = re.compile("[都道府県市区町村]")
# Closing brackets after a name (NFKC): a kana name in brackets ends there.
_CLOSERS = frozenset(")]」』】〕")
# Nouns that name an action or a state (UniDic's サ変/形状詞 possibilities).
_VERBAL_POS = frozenset({"サ変可能", "形状詞可能", "サ変形状詞可能", "副詞可能"})


@RECOGNIZERS.register("names.facility")
class FacilityRecognizer(Recognizer):
    """Facility names (hospitals, clinics, pharmacies, care homes, schools, companies,
    wards and rooms): a specific name part glued to a facility-type suffix."""

    labels = ("FACILITY",)
    priority = 60

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        found: set[tuple[int, int, float]] = set()
        starts: list[int] | None = None  # the token starts, fetched on first need
        for m in _SUFFIX_RE.finditer(text):
            word = m.group()
            mstart, mend = m.span()
            follow = _NOT_AFTER.get(word)
            if follow and mend < len(text) and text[mend] in follow:
                continue
            if word in _COMPOUNDING and _WORD_CHAR.match(text, mend):
                continue  # 訪問看護|報告書, 訪問看護|師: the word goes on
            # The longest suffix may start inside a word (桜|台中|学校): try shorter ones too.
            if starts is None:
                starts = morphemes(context).starts
            i = bisect_left(starts, mstart)  # token_starting_at(context, mstart), inlined
            aligned = i < len(starts) and starts[i] == mstart
            for k in range(mstart, mend if not aligned else mstart + 1):
                suffix = text[k:mend] if k > mstart else word
                if k == mstart or suffix in _SUFFIXES:
                    hit = self._named(context, k, mend, suffix)
                    if hit:
                        found.add(hit)
                        break
        for m in _KIND_FIRST.finditer(text):
            if text[m.end() : m.end() + 1] == "「":
                # 就労継続支援B型「工房やこう」, 精神科デイケア「あおぞら」: the name in quotes
                close = text.find("」", m.end() + 1, m.end() + 20)
                inner = text[m.end() + 1 : close]
                if close > m.end() + 2 and "\n" not in inner and not _NOT_QUOTED_NAME.search(inner):
                    found.add((m.end() + 1, close, 0.8))
                continue
            spaced = m.group().endswith(" ")  # after a space, 医師 or 消化器内科 may follow
            if not spaced and m.group() in _COMPOUNDING:
                continue  # 訪問看護報告書, 訪問看護師: one word, no kind and name
            end = _name_after(context, m.end(), spaced)
            glued = None if spaced else _KANA_NAME_GLUED.match(text, m.end())
            if (
                glued is not None
                and not _NOT_KANA_NAME.search(glued["name"])
                and not _VERBAL_KANA.search(glued["name"])
            ):
                name_end = glued.end("name")
                j = token_ending_at(context, name_end)
                toks = morphemes(context)
                if (
                    j > 0
                    and (toks.pos[j][0] == "助詞" or toks.surfaces[j] == "で")
                    and toks.ends[j - 1] - toks.starts[j - 1] >= 3
                    and toks.starts[j] - m.end() >= 3
                ):
                    name_end = toks.starts[j]  # 助産院こもれび|で、: a particle after the name
                end = max(end, name_end)  # 訪問看護ステーションいく|の(: MeCab's cut
            if end > m.end():
                corp = _corp_before(text, m.start())
                begin = corp.start() if corp and corp.group("corp") else m.start()
                found.add((begin, end, 0.85))
        for m in _corporations(text):
            if m.group("co") is not None:
                if m.group().endswith(" ") and m.start() and _WORD_CHAR.match(text, m.start() - 1):
                    continue  # ソラリス製薬株式会社 臨床開発部: the name is before it
                end = _name_after(context, m.end(), m.group().endswith(" "), company=True)
                whole = _COMPANY_NAME.match(text, m.end())
                if (
                    whole is not None
                    and not (whole.group()[0] in _PARTICLES and whole.group()[1] not in _HIRA)
                    and whole.group() not in _GENERIC
                    and not whole.group().startswith(_AFTER_COMPANY_WORDS)  # 製造株式会社|勤務
                ):
                    # (株)とちぎクリーンサービス, 株式会社瀬戸内フーズ: after the company word the name
                    # runs to a boundary, however MeCab cuts it (と|ち|ぎ, 瀬戸|内)
                    end = max(end, whole.end())
                if end > m.end():
                    found.add((m.start(), end, 0.9))
            elif m.group("kai") not in _GENERIC_KAI:
                found.add((m.start(), m.end(), 0.9))
        colon = text.find(":")
        while colon >= 0:  # 施設名：ひだまりの郷 (labels are looked up before each colon)
            if _LABEL.search(text, max(0, colon - 12), colon):
                begin = colon + 1 + (text[colon + 1 : colon + 2] == " ")
                end = _name_after(context, begin, True)
                value = _FIELD_VALUE.match(text, begin)
                if (
                    value is not None
                    and _SUFFIX_END.search(value.group())
                    and value.group() not in _GENERIC
                    and not _NOT_FIELD_NAME.search(value.group())
                ):
                    # 通園先：泉ヶ丘すくすく保育園 — the label vouches for the whole value up to its
                    # type word, however MeCab cuts the name before it
                    end = max(end, value.end())
                if end > begin:
                    found.add((begin, end, 0.7))
            colon = text.find(":", colon + 1)
        if _LATIN.search(text):
            found.update(_latin_names(text))
        if _HANGUL.search(text):
            found.update(
                (m.start(), m.end(), 0.8)
                for m in _HANGUL_NAME.finditer(text)
                if m.group("name") not in _HANGUL_GENERIC
            )
        options = context.options.get("names.facility", {}) if isinstance(context.options, dict) else {}
        if options.get("wards", True):
            found.update(wards(text))  # 5階東病棟, 305号室, ・601 九十九 寅吉（88）, CCU-3
        for word in _CLINIC_WORD.finditer(text):
            # しまうち内科医院, かまた眼科, おこのぎ胃腸科: a clinic named in kana (MeCab cuts
            # such names into particles and adverbs, so the walk above cannot read them)
            m = _KANA_BEFORE_CLINIC.search(text, max(0, word.start() - 12), word.start())
            if m is None:
                continue
            start, name = m.start(), m.group("name")
            lead = _LEADING_PARTICLE.match(name)
            if lead is not None and start and _WORD_CHAR.match(text, start - 1):
                # 2019年より|つちうら駅前内科, お薬は|ふない薬局: a particle glued to the word
                # before is not the name's
                start, name = start + lead.end(), name[lead.end() :]
            elif lead is not None and lead.end() == 1 and name[1] in _HIRA_PARTICLE_SECOND:
                continue  # 、のちに内科: a clause, not a name (のっぽろ, はなみずき are names)
            if (
                len(name) >= 3
                and name not in _STOP
                and name.removesuffix("の") not in _RELATIONAL
                and name not in _NOT_CLINIC_KANA
                and not _NOT_KANA_NAME.search(name)
                and not _VERBAL_KANA.search(name)
            ):
                found.add((start, word.end(), 0.75))
        if "立" in text:  # 川崎市立はるひ野小学校: a public institution, whatever MeCab cuts
            for m in _PUBLIC_INSTITUTION.finditer(text):
                head = _MUNICIPALITY_BEFORE.search(text, max(0, m.start() - 5), m.start())
                found.add((head.start() if head else m.start(), m.end(), 0.85))  # 川崎|市立…
        for m in _OFFICE_END.finditer(text):
            # 富山市 介護保険課 認定係, 島原市 地域包括支援センター: a municipality's office
            if _WORD_CHAR.match(text, m.end()) and not _OFFICE_END.match(
                text, m.end() + (text[m.end()] == " ")
            ):
                continue  # 課題, 係数: the word goes on
            if not _UNIT_CHAR.search(text, max(0, m.start() - 16), m.start()):
                continue  # no municipality before the office (most 薬局, センター, 課)
            office = _MUNICIPAL_OFFICE.search(text, max(0, m.start() - 16), m.end())
            muni = office.group("muni") if office is not None else ""
            generic = muni[:1] in _NOT_MUNICIPALITY_HEAD and all(c in "都道府県市区町村郡" for c in muni[1:])
            if office is not None and not generic:  # 同市, 各市町村 (not 各務原市)
                found.add((office.start(), m.end(), 0.8))
        if "救急" in text:  # 住之江救急1, 首里救急: an ambulance unit named after its station
            for m in _AMBULANCE.finditer(text):
                if m.group("place") not in _AMBULANCE_GENERIC:
                    found.add((m.start(), m.end(), 0.8))
        if "店" in text:  # ヒマラヤキッチン 船橋本町店: a shop's brand, then its branch
            found.update(_brand_branches(context))
        found = {(s, _branch_end(context, e), score) for s, e, score in found}
        spans = []
        for s, e, score in _joined(found):
            if _HOUSE_NUMBER_AFTER.match(text, e) and (city := _MUNICIPALITY.search(text, s, e)):
                # 在宅診療所 市原市五井中央東|1-15-3, 流山市おおたかの森|南1-5-1: a municipality
                # that runs on into a house number is an address; the facility ends before it
                e = city.start() - (text[city.start() - 1 : city.start()] == " ")
            s = floor_start(text, s, e)  # 2階 さくらユニット 205号室
            if e > s:
                spans.append(Span(s, e, "FACILITY", score))
        return spans

    @staticmethod
    def _named(context: TextContext, start: int, end: int, suffix: str) -> tuple[int, int, float] | None:
        """The facility whose type suffix spans ``[start, end)``, or None if it is generic."""
        tokens = morphemes(context)
        text = context.text
        weak = suffix in _WEAK_SET
        ends = tokens.ends
        last = bisect_left(tokens.starts, end) - 1  # token_ending_at(context, end), inlined
        if last < 0 or ends[last] != end:
            return None
        first = last
        while first > 0 and ends[first - 1] > start:
            first -= 1
        # The suffix may start inside a word: an unknown one (桜|花苑), or one the suffix
        # only begins in (宮|前眼|科: MeCab's cut, not a word); the head is then part of the
        # name. A known word that holds the whole suffix (公園, 動物園, 通園) is no facility.
        name: list[Token] = []
        mid = tokens.starts[first] != start
        if mid:
            tok = tokens[first]
            if not (is_unknown_word(tok.surface) or tok.end < end or tok.pos[1] == "固有名詞"):
                return None
            name.append(Token(tok.start, start, text[tok.start : start], tok.pos))
        name.reverse()
        if suffix == "(有)" and first > 0 and tokens.pos[first - 1][2] in _VERBAL_POS:
            return None  # 使用(有), 低下(有): "present" ticked on a form, not 有限会社
        name = _walk_back(tokens, first - 1, tokens.starts[first], name)
        if mid and name and start - name[0].start < 2:
            return None  # 公|園: a one-character head alone is no name
        if suffix in _DEPARTMENTS and name and _HOSPITAL_END.search(text, name[0].start, start):
            return None  # さくら病院循環器内科: the hospital is found by its own suffix
        specific = bool(name) and _specific_name(name, weak, text, start)
        if specific and suffix == "ユニット":  # さくらユニット, 桜ユニット; not ストロークユニット
            unit = text[name[0].start : start]
            specific = bool(_HIRA_RUN.fullmatch(unit)) or all(c in name_kanji() for c in unit)
        if specific and _label(text, end) and not any(_specific(t, weak=True) for t in name):
            specific = False  # 連携病院：, 計画管理病院： are form labels
        if not specific:
            # A generic type phrase, a space and the name: 回復期リハビリテーション病院 みどりの丘.
            # Not after a department: 〇〇病院 内科 林 signs a letter.
            if (
                text[end : end + 1] == " "
                and suffix not in _DEPARTMENTS
                and (name or suffix in _KINDS or len(suffix) >= 5)
            ):
                after = _name_after(context, end + 1, True)
                if after > end + 1:
                    return (name[0].start if name else start), after, 0.8
            return None
        begin = name[0].start
        corp = _corp_before(text, begin)
        if corp and corp.start() < begin and (corp.group("corp") or corp.group("kai2") not in _GENERIC_KAI):
            return corp.start(), end, 0.95  # 医療法人社団 健心会 さくら病院
        return begin, end, 0.9 if not weak else 0.75


def _corp_before(text: str, begin: int) -> re.Match[str] | None:
    """A corporation, its 〇〇会 or a kind written before ``begin`` with a space or after a
    bracket ((医)さくら会さくら病院); without them the backward walk has taken it in."""
    if begin and text[begin - 1] in " )":
        return _CORP_BEFORE.search(text, max(0, begin - 40), begin)
    return None


def _walk_back(tokens: Morphemes, i: int, pos: int, name: list[Token]) -> list[Token]:
    """``name`` (tokens ending at the suffix) extended backwards from token ``i`` (which must
    end at ``pos``) over name parts, then over a kana head (:func:`_kana_head`)."""
    for _ in range(3):  # name, kana head, name before it (金沢|こころの|クリニック)
        added: list[Token] = []
        while i >= 0 and len(name) + len(added) < 12:
            if tokens.ends[i] != pos:
                break
            tok = tokens[i]
            if not _name_part(tok, tokens[i - 1] if i > 0 else None) and not _inner_word(
                tokens, i, bool(name or added)
            ):
                break
            added.append(tok)
            pos = tok.start
            i -= 1
        added.reverse()
        name = added + name
        head, glued = _kana_head(tokens, i, name, pos)
        if head is None:
            break
        name = head
        if not glued or not name:
            break
        pos = name[0].start
        i = bisect_left(tokens.starts, pos) - 1
        if i < 0 or tokens.ends[i] != pos:
            break
    return name


def _inner_word(tokens: Morphemes, i: int, after: bool) -> bool:
    """Whether token ``i`` — an ``の`` or a stop word — joins two parts of one name (杜|の|都
    レディースクリニック, 豊|の|国 医療センター, 錦江|ドック|工業株式会社): glued on both sides,
    with a name part after it (``after``) and a proper noun or name-character word before it."""
    if not after or i < 1 or tokens.ends[i - 1] != tokens.starts[i]:
        return False
    s = tokens.surfaces[i]
    if s != "の" and not (s in _STOP and _KATA_WORD.fullmatch(s)):
        return False
    before = tokens[i - 1]
    if before.surface in _STOP or before.surface in _GENERIC or _adverbial(before.pos):
        return False
    if before.pos[1] == "固有名詞":
        return True
    if len(before.surface) == 1 and i > 1 and tokens.ends[i - 2] == before.start:
        prev = tokens[i - 2]
        if prev.pos[1] != "固有名詞" and _KANJI_WORD.fullmatch(prev.surface):
            return False  # 住所|地|の: the last piece of a common compound, not 大分|豊|の
    return (
        s == "の"
        and len(before.surface) <= 2
        and before.pos[2] not in _VERBAL_POS
        and all(c in name_kanji() for c in before.surface)  # 杜の都, 豊の国; not 現地の, 団地の
    )


def _kana_head(tokens: Morphemes, i: int, name: list[Token], pos: int) -> tuple[list[Token] | None, bool]:
    """Kana names MeCab cuts into odd pieces (な|ごみ, と|ね|やま, こう|のす, はち|の|へ): the run
    of hiragana tokens before the name's first non-hiragana word, taken in as a whole.

    Returns the new name (None when nothing changes) and whether the run is glued to a word
    before it that may continue the name (金沢|こころの). When the run follows a kanji word
    (2021年に|はちのへ), particles and verbs at its start are left out; after a stop word,
    adnominal or pronoun (この|ため) only what follows counts; and a run of function words
    alone (すぐ, ふだんは) is no name.
    """
    surfaces = tokens.surfaces
    h = 0
    while h < len(name) and _HIRA_WORD.fullmatch(name[h].surface):
        h += 1
    run: list[int] = []
    j = i
    chars = sum(len(t.surface) for t in name[:h]) if h else 0
    while j >= 0 and tokens.ends[j] == (tokens.starts[run[0]] if run else pos) and chars < 12:
        s = surfaces[j]
        if not _HIRA_RUN.fullmatch(s):
            break
        run.insert(0, j)
        chars += len(s)
        j -= 1
    if not run:
        return None, False
    text = tokens.text
    begin = tokens.starts[run[0]]
    glued = begin > 0 and (text[begin - 1] in _HIRA or _WORD_CHAR.match(text[begin - 1]) is not None)
    cut = 0
    for n, k in enumerate(run):
        if (
            surfaces[k] in _STOP
            # この, その: but a one-character piece of a kana name is no adnominal (て|ん|どう)
            or (tokens.pos[k][0] in _HARD_STOP_POS and len(surfaces[k]) > 1)
            # ふだん|は, but ひ|よし, and a kana name that ends like one (ゆ|の|まえ)
            or (_adverbial(tokens.pos[k]) and len(surfaces[k]) > 1 and n + 1 < len(run))
        ):
            cut, glued = n + 1, True
    run = run[cut:]
    if glued:
        stripped = 0
        while run and tokens.pos[run[0]][0] in (*_FUNCTION_POS, "動詞", "形容詞"):
            run.pop(0)
            stripped += 1
        glued = stripped == 0 and cut == 0
    kana = [tokens[k] for k in run] + name[:h]
    if not kana:
        return ([] if h else None), False
    joined = "".join(t.surface for t in kana)
    if joined in _STOP or (h == len(name) and joined.removesuffix("の") in _RELATIONAL):
        return ([] if h == len(name) else name[h:]), False  # かかり|つけ薬局, となりの病院
    if all(t.pos[0] in _FUNCTION_POS for t in kana) or sum(len(t.surface) for t in kana) < 2:
        return ([] if h == len(name) else name[h:]), False
    lastpos = kana[-1].pos
    # ふだんは病院, おばあちゃんは病院; but あさひが|丘, ゆめが|崎 are place names
    if (
        lastpos[0] == "助詞"
        and kana[-1].surface in _CASE_PARTICLES
        and not (kana[-1].surface == "が" and h < len(name) and name[h].surface in _GA_PLACE)
    ):
        return ([] if h == len(name) else name[h:]), False
    if kana[-1].surface == "の" and not any(t.pos[0] == "名詞" for t in kana):
        return ([] if h == len(name) else name[h:]), False  # たくさんの病院
    return kana + name[h:], glued


def _adverbial(pos: tuple[str, str, str, str]) -> bool:
    """Adverbial nouns (毎年, 翌日, ため, まま): never part of a facility name."""
    return pos[2] == "副詞可能" and pos[0] == "名詞"


def _label(text: str, end: int) -> bool:
    """Whether a colon follows ``end`` (a form label: 連携病院：, 搬送先病院 :)."""
    after = text[end : end + 2]
    return after[:1] == ":" or after == " :"


def _name_after(
    context: TextContext, pos: int, spaced: bool, company: bool = False, kana_first: bool = True
) -> int:
    """End of the name written after a kind at ``pos`` (グループホームさくら, 特別養護老人ホーム
    潮騒の里, 介護タクシー はいさい, 合同会社 でいごタクシー), or ``pos`` if none: kana, kanji,
    katakana, alphanumerics and an inner ``の`` up to punctuation, a space, a particle, a
    stop word, a word after a company (勤務) or a person's title (先生)."""
    if kana_first and (spaced or company):
        run = _HIRA_RUN.match(context.text, pos)
        if run is not None and _NOT_KANA_NAME.search(run.group()):
            return pos  # a sentence after the kind, not its name (デイサービス ありがとうございました)
        kana = (_KANA_NAME_AFTER if spaced else _KANA_COMPANY_AFTER).match(context.text, pos)
        if kana is not None:
            # MeCab cuts kana names into pieces the walk below cannot follow (つくし|ん|ぼ,
            # みな|と|寮, しな|の|路); after a kind and a space, a kana word up to a boundary
            # (or a home's last kanji) is the name.
            return max(kana.end("name"), _name_after(context, pos, False, company, kana_first=False))
    tokens = morphemes(context)
    i = token_starting_at(context, pos)
    if i < 0:
        return pos
    n = len(tokens)
    taken: list[Token] = []
    end = pos
    no_at = 0  # 1 + the index of an inner の
    while i < n and tokens.starts[i] == end and end - pos < 20:
        tok = tokens[i]
        s, p = tok.surface, tok.pos
        nxt = i + 1 < n and tokens.starts[i + 1] == tok.end
        if no_at and tok.is_person_name:
            del taken[no_at - 1 :]  # 明星の|𠮷田: a person of the home
            break
        if taken and context.text[taken[-1].start : tok.end] in _PERSON_CUES:
            taken.pop()  # あおば|所|長, さくら|施設|長: a role cut in two
            break
        if s in _PERSON_CUES:
            if taken and _HIRA_WORD.fullmatch(s) and _HIRA_RUN.fullmatch(taken[-1].surface) and not nxt:
                pass  # ちゅら|さん: a kana name ending like an honorific
            elif not taken or all(t.is_person_name or _KANJI_WORD.fullmatch(t.surface) for t in taken):
                return pos  # 市民病院 山田先生, 介護老人保健施設 医師: a person, not a facility
            else:
                break  # 訪問看護ステーションあおば|所長
        elif s in _STOP or s in _AFTER_COMPANY or (_adverbial(p) and (not taken or len(s) > 1)):
            break  # 宮|前 continues a name
        if p[0] in ("助詞", "助動詞"):
            kana_next = nxt and _KANA_WORD.fullmatch(tokens.surfaces[i + 1]) is not None
            after = tokens.surfaces[i + 1] if nxt else ""
            if s == "の" and taken and (after in _HOME_END or _KANA_WORD.fullmatch(after)):
                no_at = len(taken) + 1  # 潮騒の里, ふれあいの|はな, but not つばさ苑の|清水
            elif not taken and spaced and kana_next and _HIRA_WORD.fullmatch(s):
                pass  # a kana name that starts like a particle: で|い|ご, と|ね|やま
            elif (
                s == "だ"
                and taken
                and _HIRA_RUN.fullmatch(taken[-1].surface)
                and context.text[tok.end : tok.end + 1] in _CLOSERS
            ):
                pass  # (居宅介護支援事業所やま|だ): a kana name in brackets, not a copula
            elif taken and _HIRA_WORD.fullmatch(s) and s not in _COPULAS and s not in _PARTICLES:
                if nxt and tokens.pos[i + 1][0] not in ("補助記号",):
                    break
                if not _HIRA_RUN.fullmatch(taken[-1].surface[-1:]):
                    break  # ゆいまー|る: a kana word cut before its last mora
            else:
                break
        elif not _name_part(tok, taken[-1] if taken else None):
            hira = _HIRA_RUN.fullmatch(s) is not None
            if not (hira and p[0] in ("感動詞", "形状詞", "副詞", "接尾辞", "動詞")):
                break
        taken.append(tok)
        end = tok.end
        i += 1
    while taken and (taken[-1].surface == "の" or (taken[-1].pos[0] == "助詞" and len(taken) == 1)):
        taken.pop()
    if not taken:
        return pos
    end = taken[-1].end
    joined = context.text[pos:end]
    if joined in _DEPARTMENTS or joined in _GENERIC or joined in _KINDS:
        return pos
    if spaced and _PERSON_AFTER.match(context.text, end):
        return pos  # 在宅クリニック 与那覇 拓也 先生: a person of the clinic, not its name
    if not spaced and not company and taken[0].surface in _GENERIC:
        return pos  # 訪問入浴|介護サービス: the kind word is part of a longer compound
    if spaced and all(t.is_person_name and _KANJI_WORD.fullmatch(t.surface) for t in taken):
        return pos  # 居宅介護支援事業所 山田: a person after the kind
    if len(taken) == 1 and taken[0].pos[0] == "接尾辞" and _KANJI_WORD.fullmatch(joined):
        ok = joined not in _NOT_NAME_SUFFIX  # ケアステーション星 (星 is a suffix to UniDic)
    elif company:  # 株式会社林食品: 林 is a suffix to UniDic, but a name
        ok = any(_specific(t, False) or _kana_name(t) or _name_suffix(t) for t in taken)
    elif not spaced:
        ok = any(_specific(t, False) or _kana_name(t) for t in taken)
    else:  # 潮騒の里, 緑風苑: kanji words make a home's name with の or a home ending
        homely = "の" in joined or joined[-1] in _HOME_END
        ok = (
            any(_kana_name(t) for t in taken)
            or (homely and any(_specific(t, False) for t in taken))
            or any(_specific(t, True) for t in taken)
        )
    return end if ok else pos


def _corporations(text: str) -> list[re.Match[str]]:
    """Matches of :data:`_CORP_COMPANY`, searched only near the words every one holds."""
    found: dict[int, re.Match[str]] = {}
    for g in _HAS_CORP.finditer(text):
        for m in _CORP_COMPANY.finditer(text, max(0, g.start() - 16), min(len(text), g.end() + 24)):
            found.setdefault(m.start(), m)
    return list(found.values())


def _latin_names(text: str) -> list[tuple[int, int, float]]:
    """Names in Latin script: capitalised words before an English type word (Minato Bay
    University Hospital, Kaede Trading Co., Ltd.) or after a type word written first
    (Hospital Santa Aurora, Bệnh viện Hòa Bình); generic words alone (General Hospital) are
    no name."""
    found = []
    english: tuple[int, int] | None = None  # the last name: University + Hospital joins it
    for m in _LATIN_TYPE.finditer(text):
        start, word = m.start(), m.group()
        if start and text[start - 1].isascii() and text[start - 1].isalpha():
            continue  # inside a word
        if word in _FOREIGN_PREFIXES and text[m.end() : m.end() + 1] == " ":
            end = _foreign_name_end(text, m.end() + 1)
            if end > m.end() + 1:
                found.append((start, end, 0.8))
        if word not in _EN_SUFFIXES:
            continue
        if english and text[english[1] : start] == " ":
            english = (english[0], m.end())  # Minato Bay University + Hospital
            found.append((*english, 0.85))
            continue
        lo = max(0, start - 80, english[1] if english else 0)  # not across another name
        before = _EN_BEFORE.search(text, lo, start)
        if before and any(
            _EN_LETTER.match(w) and w.strip(".,'’").title() not in _EN_GENERIC and w not in _EN_GENERIC
            for w in text[before.start() : start].split()
        ):
            english = (before.start(), m.end())
            found.append((*english, 0.85))
    return found


def _foreign_name_end(text: str, pos: int) -> int:
    """End of the capitalised words at ``pos`` after a type word written first (Hospital
    Santa Aurora, Hospital das Clínicas), or ``pos`` if none or only generic (Hospital Day,
    and the patient-ID labels Hospital No., Hospital Number)."""
    if _ID_LABEL.match(text, pos):
        return pos
    end, named, last = pos, False, 0
    for m in re.finditer(r"\S+", text[pos : pos + 80]):
        word = m.group().rstrip(".,;:)")
        if not word or m.start() > last + 1 or not (word[0].isupper() or word in _FOREIGN_LINKS):
            break
        last = m.end()
        if word[0].isupper():
            end = pos + m.start() + len(word)
            named = named or (word not in _EN_GENERIC and not word.isupper())
        if len(word) != len(m.group()):
            break  # punctuation ends the name
    return end if named else pos


def _name_suffix(tok: Token) -> bool:
    """A kanji word UniDic calls a suffix that is made of name characters (林, 星)."""
    s = tok.surface
    return (
        tok.pos[0] == "接尾辞"
        and s not in _NOT_NAME_SUFFIX
        and _KANJI_WORD.fullmatch(s) is not None
        and all(c in name_kanji() for c in s)
    )


def _kana_name(tok: Token) -> bool:
    """Whether a kana word after a kind names it although UniDic calls it an adverb or an
    interjection (小規模多機能ホーム きらり, 介護タクシー はいさい)."""
    return _HIRA_RUN.fullmatch(tok.surface) is not None and tok.pos[0] not in ("助詞", "助動詞")


def _joined(found: set[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The candidates without those inside another, overlapping ones joined (the same name
    found from its suffix and from a kind in it: 旭川ケアステーション + ケアステーション虹),
    each with the best score."""
    out: list[tuple[int, int, float]] = []
    for s, e, score in sorted(found, key=lambda f: (f[0], -f[1])):
        if e <= s:
            continue
        if out and s < out[-1][1]:
            ps, pe, pscore = out[-1]
            out[-1] = (ps, max(pe, e), max(pscore, score))
        else:
            out.append((s, e, score))
    return out


def _brand_branches(context: TextContext) -> list[tuple[int, int, float]]:
    """A brand in katakana or Latin letters before a branch that ends in 店 (ヒマラヤキッチン
    船橋本町店, Blue Bean 駅前店): the brand is no type word, the branch makes it a shop."""
    text = context.text
    out = []
    for m in _SHOP.finditer(text):
        brand = _BRAND_BEFORE.search(text, max(0, m.start() - 24), m.start())
        if not brand:
            continue
        end = _branch_end(context, brand.end("brand"))
        if end >= m.end():
            out.append((brand.start(), end, 0.75))
    return out


def _branch_end(context: TextContext, end: int) -> int:
    """``end`` moved past a branch name that follows the facility (すこやか薬局 春日店,
    本町通店, 消防本部 首里出張所)."""
    text = context.text
    if not _BRANCH_TAIL.search(text, end, end + 16):
        return end
    tokens = morphemes(context)
    i = token_starting_at(context, end + (text[end : end + 1] == " "))
    if i < 0:
        return end
    for j in range(i, min(i + 5, len(tokens))):
        if j > i and tokens.starts[j] != tokens.ends[j - 1]:
            break
        s = tokens.surfaces[j]
        numeral = tokens.pos[j][1] == "数詞" and not _ALNUM.fullmatch(s)  # 〇一八支店, 第二工場
        if not (_name_part(tokens[j], None) or s in _BRANCH_OK or numeral) or (
            s in _STOP and s not in _BRANCH_OK
        ):
            break
        m = _BRANCH.search(text, tokens.starts[i], tokens.ends[j])
        if m and (m.start() > tokens.starts[i] or m.group() in _BRANCH_ALONE):
            return tokens.ends[j]
    return end


def _name_part(tok: Token, prev: Token | None) -> bool:
    """Whether ``tok`` can continue a facility name backwards."""
    s = tok.surface
    if s in _STOP or len(s) > 12:
        return False
    if s in ("・", "&", "-"):
        return prev is not None and prev.end == tok.start
    if tok.pos[1] == "数詞":  # 第一病院, but not 5月1日さくら病院
        return prev is not None and prev.surface == "第"
    if (
        tok.pos[2] in ("助数詞", "助数詞可能")
        and prev is not None
        and prev.pos[1] == "数詞"
        and prev.end == tok.start
        and not _HIRA_WORD.fullmatch(prev.surface)  # ひよ|し|台 is a name
    ):
        return False
    if _adverbial(tok.pos) and not _HIRA_WORD.fullmatch(s):
        # 毎年|学校, 翌日|皮膚科, 前|病院 are no names, 城|前|内科 is; kana ones (ため, まま) are
        # stop words or pieces of a kana name.
        return (
            len(s) == 1
            and prev is not None
            and prev.end == tok.start
            and prev.surface not in _STOP
            and _KANJI_WORD.fullmatch(prev.surface) is not None
        )
    if tok.pos[0] in _NAME_POS or (tok.pos[0] == "接尾辞" and tok.pos[1] == "名詞的"):
        return True
    if _KANJI_WORD.fullmatch(s):
        return tok.pos[0] != "接尾辞"  # 𠮷 (a symbol to UniDic) in 𠮷田病院
    if tok.pos[0] == "動詞" and len(s) >= 3 and _HIRA_WORD.fullmatch(s):
        return True  # nominalised verbs in names: やすらぎ苑, ふれあいの里
    return bool(_ALNUM.fullmatch(s) or _KATA_WORD.fullmatch(s))


def _specific_name(name: list[Token], weak: bool, text: str, suffix: int) -> bool:
    """Whether a facility name part is specific: some word in it is (:func:`_specific`);
    or a kana word after another (県立|こども医療センター); or it is a place name UniDic cuts
    into one-character pieces (本|町 for 本町); or, before a department, one word standing
    alone (より清流眼科で)."""
    typed = [n + 1 < len(name) and name[n + 1].surface == "型" for n in range(len(name))]
    if any(_specific(t, weak) and not typed[n] for n, t in enumerate(name)):
        return True  # B|型 names a type of service, not a place
    if any(n and _HIRA_WORD.fullmatch(t.surface) for n, t in enumerate(name)):
        return True
    kana = [t for t in name if _HIRA_RUN.fullmatch(t.surface)]
    if len(kana) > 1 and sum(len(t.surface) for t in kana) >= 3:
        return True  # ちゅう|ざん: a kana name cut into function-word pieces
    joined = "".join(t.surface for t in name)
    if len(name) > 1 and all(len(t.surface) == 1 for t in name):
        return joined not in _GENERIC and all(c in name_kanji() for c in joined)
    lone = (
        len(name) == 1
        and len(joined) >= 2
        and not _KANJI_WORD.match(text, name[0].start - 1 if name[0].start else 0, name[0].start)
    )
    return weak and lone and text[suffix - 1 : suffix + 1] != "" and _specific(name[0], weak=False)


def _specific(tok: Token, weak: bool) -> bool:
    """Whether ``tok`` makes a facility name specific (not 市民, 総合, 循環器内科 …)."""
    s = tok.surface
    if s in _GENERIC or tok.pos[0] == "接尾辞" or tok.pos[1] == "数詞" or s in ("・", "&", "-"):
        return False
    if tok.pos[0] in _FUNCTION_POS:
        return False
    if not weak:
        return True
    return (
        tok.pos[1] == "固有名詞"
        or not _KANJI_WORD.fullmatch(s)  # katakana, alphanumerics, hiragana, mixed (さくら草)
        or all(c in name_kanji() for c in s)  # 北斗, 東雲, 山田: name characters, not 腫瘍 or 化学
        or is_unknown_word(s)
    )
