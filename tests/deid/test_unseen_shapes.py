"""Identifier shapes that the dev sets heldout4 and heldout5 (written blind) showed the engine
missing, and the look-alikes each new rule must leave alone.

Every value here is invented for this file (not copied from the fixtures), and each case
runs through the whole engine, so a rule that another recognizer's span swallows fails here.
"""

from __future__ import annotations

import pytest

from jmedllm.deid.engine import PhiAnalyzer

pytest.importorskip("fugashi")


@pytest.fixture(scope="module")
def analyzer() -> PhiAnalyzer:
    return PhiAnalyzer()


def spans(analyzer: PhiAnalyzer, text: str) -> list[tuple[str, str]]:
    return [(s.label, text[s.start : s.end]) for s in analyzer.analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name in a role's slot, whatever the lexicons know
        ("夫来棟。主治医 鳩羽より病状説明。", [("PERSON", "鳩羽")]),
        ("記録：介護職員 ラクシュミ、", [("PERSON", "ラクシュミ")]),
        # a two-part name vouched by its two-part kana reading
        (
            "対象：冬夏春秋 修（ひととせ おさむ）様",
            [("PERSON", "冬夏春秋 修"), ("PERSON", "ひととせ おさむ")],
        ),
        # ... or by a transliteration in Latin letters, and every form in a slashed bracket
        ("労働者：タパ・ビノド（THAPA Binod）　男", [("PERSON", "タパ・ビノド"), ("PERSON", "THAPA Binod")]),
        (
            "患者：崔 秀妍（チェ・スヨン／CHOI SU-YEON）",
            [("PERSON", "崔 秀妍"), ("PERSON", "チェ・スヨン"), ("PERSON", "CHOI SU-YEON")],
        ),
        # initials, and an initial before a surname
        ("症例2：M.T.（41歳 女性）、妻 A.K. 様", [("PERSON", "M.T."), ("PERSON", "A.K.")]),
        ("（記：上級医 R. Ishimine）", [("PERSON", "R. Ishimine")]),
        # Vietnamese names keep their diacritics
        ("通訳者：Phạm Thị Hương（登録通訳者）", [("PERSON", "Phạm Thị Hương")]),
        # a katakana Japanese name: one part a lexicon name's reading (half-width on printouts)
        ("ｼﾒｲ:ﾀｶﾊｼ ｼｹﾞﾙ", [("PERSON", "ﾀｶﾊｼ ｼｹﾞﾙ")]),
        # the rest of a given name with a rare kanji after a found surname
        ("緊急連絡先：父 韓 明洙（同居）", [("PERSON", "韓 明洙")]),
        ("保健指導担当：林 ともか（管理栄養士）", [("PERSON", "林 ともか")]),
        # facilities: a kind, a space and a kana name MeCab cuts apart; ambulance units
        ("施設の名称 介護医療院 あさぎの路", [("FACILITY", "介護医療院 あさぎの路")]),
        ("退院後：救護施設 かもめ寮の空き", [("FACILITY", "救護施設 かもめ寮")]),
        ("隊名 緑橋救急2（隊長 寺内）", [("FACILITY", "緑橋救急2"), ("PERSON", "寺内")]),
        ("その後株式会社あさなぎの障害者雇用", [("FACILITY", "株式会社あさなぎ")]),
        ("つばめ訪問看護：了解です", [("FACILITY", "つばめ訪問看護")]),
        # dates: a month alone, a month/day with no label, early-year dates in a date's place
        ("人間ドックは12月予定、復職判定は8月に", [("DATE", "12月"), ("DATE", "8月")]),
        ("2/27の受診時に左右差を認めた", [("DATE", "2/27")]),
        ("経過：1/9 急性心筋梗塞", [("DATE", "1/9")]),
        ("GBS：11/15 陰性", [("DATE", "11/15")]),
        ("発症年月日 令和3年頃、入院期限は 2025年3月末", [("DATE", "令和3年頃"), ("DATE", "2025年3月末")]),
        ("生年月日：昭48.2.14", [("DATE", "昭48.2.14")]),
        ("写真（IMG_20250102_0930.jpg）", [("DATE", "20250102")]),
        ("biologics were started in 2019.", [("DATE", "2019")]),
        ("16日午後か18日午前なら", [("DATE", "16日"), ("DATE", "18日")]),
        # chat speakers after the time of their message, and Latin names among Japanese
        ("06:12 みっちゃん🌼：今朝は37.0度です", [("PERSON", "みっちゃん")]),
        ("[22:05] 五月女 蓮: 到着しました", [("PERSON", "五月女 蓮")]),
        ("同僚 Nguyen Van Long（090-0000-1111）", [("PERSON", "Nguyen Van Long")]),
        # an address right after a facility's kind and a space is no part of its name
        (
            "すずらん在宅診療所　市原市五井中央東１－１５－３",
            [("FACILITY", "すずらん在宅診療所"), ("ADDRESS", "市原市五井中央東１－１５－３")],
        ),
        ("流山市おおたかの森南１－５－１　TEL", [("ADDRESS", "流山市おおたかの森南１－５－１")]),
        # HL7 v2 and FHIR JSON pasted into a note
        (
            "PID|1||7001234^^^H^MR||SAKAKI^NAO",
            [("PATIENT_ID", "7001234"), ("PERSON", "SAKAKI^NAO")],
        ),
        (
            '{"family": "榊", "given": ["奈緒"], "postalCode": "860-0001"}',
            [("PERSON", "榊"), ("POSTAL_CODE", "860-0001")],
        ),
        ("クライエント：灘 ジョージ（本人）", [("PERSON", "灘 ジョージ")]),
        ("ふりがな　かざみ　れい", [("PERSON", "かざみ　れい")]),
        ("（夜勤申し送り 2/9）", [("DATE", "2/9")]),
        ("最終排便 8/10", [("DATE", "8/10")]),
        ("宛先：浜松市立ひかり野小学校 校長", [("FACILITY", "浜松市立ひかり野小学校")]),
        ("・702 鴫原 ユキ（81）心不全", [("FACILITY", "702"), ("PERSON", "鴫原 ユキ")]),
        ("有料老人ホーム ひのき悠々館", [("FACILITY", "有料老人ホーム ひのき悠々館")]),
        ("2019年よりひがしうら駅前内科で加療", [("FACILITY", "ひがしうら駅前内科")]),
        ("大腸内視鏡（おこのみ胃腸科）で", [("FACILITY", "おこのみ胃腸科")]),
        ("【病理結果】P24-10233：腺腫", [("OTHER_ID", "P24-10233")]),
        (
            "ローマ字：KARKI ANIL　カタカナ：カルキ アニル",
            [("PERSON", "KARKI ANIL"), ("PERSON", "カルキ アニル")],
        ),
        # a municipality named alone where someone lives
        ("長女（宇和島市在住）に連絡", [("ADDRESS", "宇和島市")]),
        # a document code with no label, insurance labels in katakana, phones after a slash
        ("同様の事例（IR-2025-0311-004）と合わせて", [("OTHER_ID", "IR-2025-0311-004")]),
        ("ｺｳﾋ1:54130257", [("INSURANCE_ID", "54130257")]),
        (
            "0587-11-2233（自宅）／090-1111-2222（携帯）",
            [("PHONE", "0587-11-2233"), ("PHONE", "090-1111-2222")],
        ),
        # a name after a staff title the role lexicon lacks, known by its last character
        ("相談：臨床心理室長 雲雀 透、同席", [("PERSON", "雲雀 透")]),
        ("会計課 鴫原 へ連絡済", [("PERSON", "鴫原")]),
        # ケ between kanji is ヶ (UniDic then knows the surname), and kana given names
        ("家族：妻 駒ケ嶺 サヨ（同居）", [("PERSON", "駒ケ嶺 サヨ")]),
        ("・302号室　我妻 ふみ子 様", [("PERSON", "我妻 ふみ子")]),
        ("１ 氏名 大豆生田 はな　女", [("PERSON", "大豆生田 はな")]),
        ("山田 から連絡、田中 とも話した", [("PERSON", "山田"), ("PERSON", "田中")]),  # not 山田 から
        # a katakana-only printout: its labels, relations, address and card numbers in katakana
        ("ｼﾒｲ:ｺﾞﾝﾀﾞ ﾏｻｵ  ｾｲﾍﾞﾂ:M", [("PERSON", "ｺﾞﾝﾀﾞ ﾏｻｵ")]),
        ("ｺﾒﾝﾄ:ﾂﾏ ｺﾞﾝﾀﾞ ﾊﾅｺ ﾄﾞｳｺｳ.", [("PERSON", "ｺﾞﾝﾀﾞ ﾊﾅｺ")]),
        ("ｼﾞｭｳｼｮ:ﾁﾊﾞｼ ﾐﾄﾞﾘｸ ｵｹﾄﾞ 3-4-5", [("ADDRESS", "ﾁﾊﾞｼ ﾐﾄﾞﾘｸ ｵｹﾄﾞ 3-4-5")]),
        ("ｷｺﾞｳ:7710  ﾊﾞﾝｺﾞｳ:2468", [("INSURANCE_ID", "7710"), ("INSURANCE_ID", "2468")]),
        # cities named alone: foreign ones in any script, Japanese ones before a residence word
        ("両親はダナン在住、兄は Cebu City に", [("ADDRESS", "ダナン"), ("ADDRESS", "Cebu City")]),
        ("「仙台から離れたくない」と本人", [("ADDRESS", "仙台")]),
        # a season after a year, a weekday written out, a document's date in brackets
        ("2019年秋頃から物忘れ", [("DATE", "2019年秋頃")]),
        ("次回は三月九日火曜日の午前", [("DATE", "三月九日火曜日")]),
        ("栄養評価報告書（6/18）を添付", [("DATE", "6/18")]),
        # phone numbers read out in a transcript, and spaced digit by digit by OCR
        (
            "連絡先はゼロキューゼロ の 四四一二 の 八〇〇三 です",
            [("PHONE", "ゼロキューゼロ の 四四一二 の 八〇〇三")],
        ),
        (
            "携帯 ゼロハチゼロ ろくろくいちに さんよんごーろくに電話",
            [("PHONE", "ゼロハチゼロ ろくろくいちに さんよんごーろく")],
        ),
        ("電話：0 4 5 - 3 1 2 - 7 7 0 9", [("PHONE", "0 4 5 - 3 1 2 - 7 7 0 9")]),
        # a katakana surname with a kanji given name in a list; a Latin name with its reading
        ("記録者：白石 萌、ロペス 沙耶", [("PERSON", "ロペス 沙耶")]),
        (
            "対象者：Tran Van Hieu（チャン・ヴァン・ヒエウ）　男性",
            [("PERSON", "Tran Van Hieu"), ("PERSON", "チャン・ヴァン・ヒエウ")],
        ),
        # the next items of a list that starts with a full name take the same shape
        ("同居 Sunil Kumar Shrestha、Anita Gurung、職場の店主", [("PERSON", "Anita Gurung")]),
        ("出席：主治医 江波 透、汐入 遥、病棟看護師", [("PERSON", "汐入 遥")]),
        # a municipality's office (only the first: a section after an office is a department)
        ("申請先：郡山市 介護保険課（担当 芦野）", [("FACILITY", "郡山市 介護保険課")]),
        ("提出先：新潟市 中央区役所 健康福祉課", [("FACILITY", "新潟市 中央区役所")]),
        ("通学：札幌市立 月寒東小学校 4年", [("FACILITY", "札幌市立 月寒東小学校")]),
        # a ward and a room column of a CSV export
        ("No,病室,氏名\n1,305-A,五十嵐 金治\n", [("FACILITY", "305-A")]),
        # a name run into a term written without a particle keeps the term
        ("文書で「川崎病 湊 くん」と誤記", [("PERSON", "湊")]),
        # a katakana surname with a lexicon kanji given name, alone or in a list
        ("二次読影：ヴェルナー 絵里（乳腺外科）", [("PERSON", "ヴェルナー 絵里")]),
        ("判定医：鈴木 悠介、ロウ 美佳", [("PERSON", "ロウ 美佳")]),
        # a surname in brackets after a unit or a role, one kanji when the lexicon knows it
        ("放射線科（筧）：EOB-MRI で造影", [("PERSON", "筧")]),
        ("次回 外科外来（巽）、薬剤部（楠）", [("PERSON", "巽"), ("PERSON", "楠")]),
        # user names holding a name, or after a label that introduces one
        ("最終更新 2024/05/09 by hanazono.k", [("PERSON", "hanazono.k")]),
        ("出力者 kanri03_tanaka / user=xq_778", [("PERSON", "kanri03_tanaka"), ("PERSON", "xq_778")]),
        # a weekday vouches for a month/day; Portuguese weekdays; a time range's end;
        # Heisei and Showa years alone as the date of an event
        ("退院予定：POD7（11/4（月・祝））", [("DATE", "11/4（月・祝）")]),
        ("受診日 2024/05/08 (qua)　担当", [("DATE", "2024/05/08 (qua)")]),
        ("日時：2024年6月5日（水） 13:00～14:10　場所", [("DATE", "2024年6月5日（水） 13:00～14:10")]),
        ("入院歴（最終 H27）、（H24 診断）", [("DATE", "H27"), ("DATE", "H24")]),
        # phones at a reception desk, listed after a slash, or with letters OCR read for digits
        ("問い合わせ：健診プラザ 受付 0120-555-019", [("PHONE", "0120-555-019")]),
        ("電話 03-1111-2222／080-3333-4444", [("PHONE", "03-1111-2222"), ("PHONE", "080-3333-4444")]),
        ("（長女、O8O-l2O3-4455）", [("PHONE", "O8O-l2O3-4455")]),
        # an insurer's kanji abbreviation before the number of a 記号; a residence card
        ("記号 湘電 72 番号 1804", [("INSURANCE_ID", "湘電 72"), ("INSURANCE_ID", "1804")]),
        ("在留カード EK7720815FA（定住者）", [("OTHER_ID", "EK7720815FA")]),
        # a name in quotes after a facility kind; more kinds and suffixes
        ("日中活動：就労継続支援B型「工房つむぎ」週3回", [("FACILITY", "工房つむぎ")]),
        (
            "出産は助産院こもれびで、健診はみなと健診プラザ",
            [("FACILITY", "助産院こもれび"), ("FACILITY", "みなと健診プラザ")],
        ),
        # a room (and bed) heading a roster line before a name and a sex in brackets
        ("503-2 須磨（女）★ 術後2日目", [("FACILITY", "503")]),
        # a space between the town and the house number; a one-kanji city after a label
        ("次女：大津市比叡 3-22-9", [("ADDRESS", "大津市比叡 3-22-9")]),
        ("住所（寮）：燕市吉田東栄町１４９０番地", [("ADDRESS", "燕市吉田東栄町１４９０番地")]),
        # a Markdown table: the header names the columns, the rule under it holds no values
        (
            "| 受給者番号 | 氏名 | 診断年 | 現住所 |\n|---|:---:|---|---|\n| 4410-0093 | 蒲原 ゆり | 2019 | 北区 |",
            [("INSURANCE_ID", "4410-0093"), ("DATE", "2019"), ("ADDRESS", "北区")],
        ),
        # a name in brackets after a team is no reading of the team
        ("緩和ケアチーム（ベネット 真理）が支援", [("PERSON", "ベネット 真理")]),
        # ノ between kanji inside a surname joins the pieces MeCab cut
        ("ケアマネ 竹ノ内 千春（ケアプランさくら）", [("PERSON", "竹ノ内 千春")]),
        # IDs after their owner, more owners listed after the first
        ("患者ID：母 8830215、児 8830216", [("PATIENT_ID", "8830215"), ("PATIENT_ID", "8830216")]),
        # one date in both calendars; a municipality's office whose name starts with 各
        ("生年月日：2019年（令和元年）5月20日", [("DATE", "2019年（令和元年）5月20日")]),
        (
            "交付（各務原市 子育て世代包括支援センター）",
            [("FACILITY", "各務原市 子育て世代包括支援センター")],
        ),
        ("南風原町国民健康保険 保険者番号", [("FACILITY", "南風原町国民健康保険")]),
        # a municipality in romaji with no house number
        ("Lives alone in Tokorozawa-shi, Saitama. Son abroad.", [("ADDRESS", "Tokorozawa-shi, Saitama")]),
        # machine-made text: log timestamps with milliseconds, receipt (UKE) dates, compact dates in CSV/TSV
        ("2024-06-17 14:22:08.331 INFO ADT received", [("DATE", "2024-06-17 14:22:08.331")]),
        ("SY,3320001,4300610,,,パーキンソン病,01,", [("DATE", "4300610")]),
        ("011080234\t0000738215\t20250218\t20250203", [("DATE", "20250218"), ("DATE", "20250203")]),
        # a ward named by its function, a floor and a bed code before or after the room
        ("病室は緩和ケア病棟 418号室です", [("FACILITY", "緩和ケア病棟 418号室")]),
        ("居室：3F あじさいユニット 311号室", [("FACILITY", "3F あじさいユニット 311号室")]),
        ("本日入院（腎臓内科病棟 5A-07）", [("FACILITY", "腎臓内科病棟 5A-07")]),
        ("他病棟 302号室から転棟", [("FACILITY", "302号室")]),  # not 他病棟
        # a branch named alone, an office, and the kana name of a clinic after a particle
        ("職場：いずみ信用金庫 本店", [("FACILITY", "いずみ信用金庫 本店")]),
        ("勤務先：株式会社カナメ総研 梅田オフィス", [("FACILITY", "株式会社カナメ総研 梅田オフィス")]),
        ("紹介元：のぞみが丘小児科（担当 槙 医師）", [("FACILITY", "のぞみが丘小児科")]),
        # company and place words without 株式会社: a landscaper, a food maker, a shrine
        (
            "自営（柚木造園）、妻は遠野フーズ 第三工場勤務",
            [("FACILITY", "柚木造園"), ("FACILITY", "遠野フーズ 第三工場")],
        ),
        (
            "毎朝 八雲神社まで散歩。会場：八幡交流センター",
            [("FACILITY", "八雲神社"), ("FACILITY", "八幡交流センター")],
        ),
    ],
)
def test_found(analyzer: PhiAnalyzer, text: str, expected: list[tuple[str, str]]) -> None:
    got = spans(analyzer, text)
    for item in expected:
        assert item in got, got


@pytest.mark.parametrize(
    "text",
    [
        "担当医 交代、医師 不在、看護師 ケア",  # verbal nouns and katakana words in a role's slot
        "看護師 2名、医師 同席、主治医 内科",
        "ケア プラン データ ベース",  # katakana pairs with no name reading
        "投与は I.V. で、P.M. に。U.S. の報告",  # dotted abbreviations
        "SLTAで呼称 3/20、川崎病(主要症状 5/6)",  # counts out of a total
        "MMT（右/左）：腸腰筋 4/4、前脛骨筋 2/2",  # scores of one scale along a row
        "残量：1/3",  # fractions after a label, and a ratio something changes to
        "分割：1/2",
        "内服は5/6に減量",
        "生後6か月、3月齢、6月間",  # months that count
        "市役所、市立病院、市民、同市在住",  # municipality words that name no place
        "治験実施計画書番号：ABX-2051-J02",  # a protocol, not a person's record
        "訪問看護報告書（同上）、訪問看護師より",  # a service word inside a longer word
        "デイサービス ありがとうございました",  # a sentence after a facility kind
        "17:15 院内感染対策委員会：開催",  # a meeting speaking in a log, not a person
        "市立病院へ紹介、県立病院、市立の小学校",  # public institutions named generically
        "・120 回 測定(2)",  # a count heading a line, not a room
        "術式（K461-2）、照会 D005-9",  # procedure codes of the fee schedule
        "すぐ内科へ。いつもの内科。かかりつけの内科。ちかくの眼科",  # kana that names no clinic
        "デイサービス 利用の有無",  # a phrase after a facility kind
        "排便 3/7、主食 8/10",  # amounts of a meal or a stool chart
        "ｼﾞｭｳｼｮﾍﾝｺｳ ｱﾘ ﾂﾏ ﾆ ﾜﾀｽ ｺﾄ",  # a katakana printout: every pair looks like a name
        "現病棟 5階へ転棟、同病棟内で",  # wards named relative to the patient
        "妊娠について産婦人科に相談、症状があるため眼科へ",  # a clause before a department
        "神社に参拝、地域の交流センターで",  # place words with no name before them
        "高齢者 夫婦で来院、院長 回診",  # a plain noun after a role-like word
        "ローマ字で記入、パリパリした食感、北京料理、仙台銘菓",  # place names inside words
        "ゼロにする、〇一二三、0 1 2 3 4 5 6 7 8 9 10",  # zeros and counted digits, no phone
        "同市役所に相談、課題は多い",  # an office named relative to another, and a word in 課
        "データ 健全、シリンジ 彩色、外来（右）、内科（再診）",  # katakana words and brackets
        "see report_sato.pdf, patient_id, lab.result, v2.5.1",  # files, fields and versions
        "S1 S2 normal, S6 24mm, H2 blocker",  # heart sounds, liver segments, receptors
        "2024/03-15 集計、ISO-9001-2015 認証",  # a slash in a date, a standard's code
        "デイケア「利用中」、デイサービス「見学のみ」",  # quotes that name nothing
        "| 項目 | 結果 |\n|---|---|\n| CRP | 0.3 |",  # a Markdown table with no identifier column
        "歩行補助具：使用(有)、筋力の低下(有)、幻視・幻聴(有)",  # (有) ticked on a form
        "飼い猫のミケちゃんの写真、愛犬 コロ と散歩",  # pets' names
        "各市町村の保健センター、同市役所",  # municipalities named generically
        "本人 安心。担当 確認、家族 不安",  # verbal nouns after a relation or a role, spaced
        "12:31　児娩出（経腟分娩）、0:24 超緊急帝王切開を決定（グレードA）",  # events after a time
        "15:30 一般外来、9:00 透析(午前)",  # a unit after a time is no chat speaker
        "逆流性食道炎 ロサンゼルス分類 grade B、Los Angeles classification grade B",  # places in terms
        "Kikuchi-Fujimoto disease, Hashimoto's thyroiditis, Chicago Classification v4.0",
        "必要エネルギー：ハリス・ベネディクトの式、ウィルヒョウの三徴、前医で「菊池 リンパ節炎」",
        "EPDS（エジンバラ産後うつ病質問票）9点、パリ分類 0-IIa、シドニー分類",
        "投与：Ceftriaxone Sodium、Vancomycin Hydrochloride、",  # a list of drugs
        "薬剤 Amlodipine Besylate（アムロジピン・ベシル酸塩）",  # a drug and its katakana name
        "ｼﾞｭｳｼｮﾍﾝｺｳ ｱﾘ、ﾀﾝﾄｳ ﾅｼ",  # katakana labels with no name after them
    ],
)
def test_not_found(analyzer: PhiAnalyzer, text: str) -> None:
    assert spans(analyzer, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a team before a bracketed name is no reading of it (not ケアチーム as a name too)
        ("緩和ケアチーム（ベネット 真理）が支援", [("PERSON", "ベネット 真理")]),
        # a name run into a term written without a particle: the term stays
        ("文書で「川崎病 湊 くん」と誤記", [("PERSON", "湊")]),
        # a role word the lists lack is no surname before the name; an exam after a time no speaker
        ("点検メモ / 点検者 会沢 / 出力", [("PERSON", "会沢")]),
        ("19:52 Xp：左大腿骨頸部骨折", []),
        # words whose likeliest reading is a common noun but which UniDic also lists as a
        # surname, before a title; common words before the same titles stay
        ("午後の枠は大門医師へ振替、循環器 氷室Dr.へ連絡", [("PERSON", "大門"), ("PERSON", "氷室")]),
        ("担任の先生へ、専門医師に相談、正常先生", []),
        # wards as a floor and a wing: with a room, a move or a free bed; alone they stay
        (
            "空床 4西 1床。不可なら4東408、3N-318-B へ",
            [("FACILITY", "4西"), ("FACILITY", "4東408"), ("FACILITY", "3N-318-B")],
        ),
        ("4東へ転棟予定、夜勤記録（3N）", [("FACILITY", "4東"), ("FACILITY", "3N")]),
        ("H3N2 陽性、2E 3W の順、札幌市中央区北4条西5丁目", [("ADDRESS", "札幌市中央区北4条西5丁目")]),
        # wards named by function after a floor, a floor after a ward, a ward after a street
        (
            "2階回復期病棟の205号室から南3条病棟、東病棟5階へ",
            [
                ("FACILITY", "2階回復期病棟"),
                ("FACILITY", "205号室"),
                ("FACILITY", "南3条病棟"),
                ("FACILITY", "東病棟5階"),
            ],
        ),
        ("当院の回復期病棟へ、今後の病棟 1階", []),
        # one character in brackets tells two staff of one name apart; a sex or a job does not
        ("受け手：リーダー 阿部(敦)、機関員 鈴木（智）", [("PERSON", "阿部(敦)"), ("PERSON", "鈴木（智）")]),
        (
            "06:30 小淵沢（介） 排泄、白州 康夫（医） 往診、明石（男）",
            [("PERSON", "小淵沢"), ("PERSON", "白州 康夫"), ("PERSON", "明石")],
        ),
        # office and liaison staff named after their desk and a space
        (
            "精算は 事務 北白川 が 行う（受付 菅生）、地域連携 安土 → 外来",
            [("PERSON", "北白川"), ("PERSON", "菅生"), ("PERSON", "安土")],
        ),
        ("事務 手続き、受付 時間、心理 検査、地域連携 強化", []),
        # an inner の or a stop word joining two parts of one facility name; not after a
        # common word or the piece of a compound
        (
            "出産場所：杜の都レディースクリニック、1) 大分豊の国医療センター 精神科、就労（錦江ドック工業株式会社）",
            [
                ("FACILITY", "杜の都レディースクリニック"),
                ("FACILITY", "大分豊の国医療センター"),
                ("FACILITY", "錦江ドック工業株式会社"),
            ],
        ),
        ("母の病院へ、近くの病院、現地の日本人学校、団地の管理事務所、人間ドック健診センター", []),
        # a ward board: rooms heading its lines, free beds listed, the same rooms named again,
        # and wards as a floor and a wing standing alone
        (
            "7西 申し送り\n空床 703・715-2\n501 ヨシダ 明朝 内視鏡\n502 空\n・701と715-2で9時に。→ 6西空きなし",
            [
                ("FACILITY", "7西"),
                ("FACILITY", "703"),
                ("FACILITY", "715-2"),
                ("FACILITY", "501"),
                ("FACILITY", "502"),
                ("FACILITY", "715-2"),
                ("FACILITY", "6西"),
            ],
        ),
        # rooms in a table cell, a bed in brackets, a room before a patient, wards around arrows
        (
            "01|13:02|601 潘 麗娟\n02|13:10|603-2 鳴海\n森 康介（503-2）、712のビナさん、4西→7西",
            [
                ("FACILITY", "601"),
                ("PERSON", "潘 麗娟"),
                ("FACILITY", "603-2"),
                ("PERSON", "鳴海"),
                ("PERSON", "森 康介"),
                ("FACILITY", "503-2"),
                ("FACILITY", "712"),
                ("PERSON", "ビナ"),
                ("FACILITY", "4西"),
                ("FACILITY", "7西"),
            ],
        ),
        # a facility field's whole value up to its type word, however the name is cut; a
        # department before 医師 after the clinic is a role, not a person of it
        (
            "通園先：泉ヶ丘すくすく保育園（年中）\n医療機関名：かじまち駅前デンタルオフィス　歯科医師 大須賀 陸",
            [
                ("FACILITY", "泉ヶ丘すくすく保育園"),
                ("FACILITY", "かじまち駅前デンタルオフィス"),
                ("PERSON", "大須賀 陸"),
            ],
        ),
        ("受診先：未定\n訪問看護：週2回\n福祉用具：電動ベッド、エアマット", []),
        # a city's bureau, a city written in kana; kana before 市役所 is no city
        (
            "申請先：大阪市こども青少年局、うるま市障がい福祉課へ提出",
            [("FACILITY", "大阪市こども青少年局"), ("FACILITY", "うるま市障がい福祉課")],
        ),
        ("これは市役所の窓口、結局は薬局で", []),
        # a chat export's senders, on two lines or more; a schedule's items are no senders
        (
            "れんママ🌺 21:14\nこんばんは。\nうりずん 玉城 21:20\nはい\nれんママ🌺 21:26\n飲ませました",
            [("PERSON", "れんママ🌺"), ("PERSON", "れんママ🌺")],
        ),
        ("朝食 7:30\n巡視 2:00\n朝食 7:30", []),
        # an abbreviation's letters in a patient's slot are initials
        (
            "対象患者：U.K.（カルテ番号 300-58214）、症例2：H.T.、71歳",
            [("PERSON", "U.K."), ("PATIENT_ID", "300-58214"), ("PERSON", "H.T.")],
        ),
        ("既往 H.T. あり、R.N. 2名", []),
        # office titles after a surname; a committee or a department before them is no name
        (
            "・湯浅委員：未成年、佐藤課長へ、山田所長より",
            [("PERSON", "湯浅"), ("PERSON", "佐藤"), ("PERSON", "山田")],
        ),
        ("倫理委員：承認、編集委員会、医療安全室長、薬剤部長", []),
        # a municipality of the gazetteer standing alone, whatever follows; words ending in a
        # unit character that name no municipality stay
        (
            "実母が呉市在住。健診（盛岡市で受診予定）、長女は 富山市 在住、住所：燕市",
            [("ADDRESS", "呉市"), ("ADDRESS", "盛岡市"), ("ADDRESS", "富山市"), ("ADDRESS", "燕市")],
        ),
        ("都市部の朝市、同市で、山村の暮らし", []),
        # a town and its 丁目 without a municipality before it; 丁目 without a town stays
        (
            "東雲二丁目の交差点、本町3丁目5-2 に住む、自宅緑が丘2丁目",
            [("ADDRESS", "東雲二丁目"), ("ADDRESS", "本町3丁目5-2"), ("ADDRESS", "緑が丘2丁目")],
        ),
        ("1丁目ずつ歩く", []),
        # an operating list's staff columns; a handle a display name shows in brackets
        (
            "室\t開始\t患者名\t術式\t術者\t助手\nOR1\t08:45\t能登 一平\tTKA\t二口\t浅香\n22:03 深見 諒 (@fukami.r)",
            [
                ("FACILITY", "OR1"),  # the room column
                ("PERSON", "能登 一平"),
                ("PERSON", "二口"),
                ("PERSON", "浅香"),
                ("PERSON", "深見 諒"),
                ("PERSON", "@fukami.r"),
            ],
        ),
        # a company's name after its prefix runs to a boundary however MeCab cuts it; a word
        # of employment after a company is no part of it
        (
            "業者（(株)とちぎクリーンサービス）、株式会社瀬戸内フーズに入社、父は北陸精機株式会社勤務",
            [
                ("FACILITY", "(株)とちぎクリーンサービス"),
                ("FACILITY", "株式会社瀬戸内フーズ"),
                ("FACILITY", "北陸精機株式会社"),
            ],
        ),
        # institutes, branch offices, fire-station branches, mutual-aid clubs and venues
        (
            "PFGE（県北衛生研究所に依頼）、出場隊：東城分署、断酒会（西成断酒友の会）、会場：別府ビーコンホール",
            [
                ("FACILITY", "県北衛生研究所"),
                ("FACILITY", "東城分署"),
                ("FACILITY", "西成断酒友の会"),
                ("FACILITY", "別府ビーコンホール"),
            ],
        ),
        ("病棟ホールで談話、ボタンホール穿刺、研究所で、プラザ合意", []),
        # rooms before their ward in brackets, after a label's colon, numbered operating rooms
        (
            "510（5東）MRSA、内容：811のチャンさん、第1手術室 8:45",
            [
                ("FACILITY", "510"),
                ("FACILITY", "5東"),
                ("FACILITY", "811"),
                ("PERSON", "チャン"),
                ("FACILITY", "第1手術室"),
            ],
        ),
        # a Western name written surname, given name in brackets, and its katakana form;
        # a city and its country are a place, not a name
        (
            "副師長 カストロ（Castro, Liza）、レイエス（Reyes, Antonio）78歳、出身（Hanoi, Vietnam）",
            [
                ("PERSON", "カストロ"),
                ("PERSON", "Castro, Liza"),
                ("PERSON", "レイエス"),
                ("PERSON", "Reyes, Antonio"),
                ("ADDRESS", "Hanoi"),
            ],
        ),
        # a foreign place before its country
        ("born in Gorkha, Nepal; raised in the city", [("ADDRESS", "Gorkha")]),
        # a code's label written apart from its 番号, in text spaced between words
        (
            "（指定医 番号 42-0871）、受診券 番号 3434-0091-7725",
            [("OTHER_ID", "42-0871"), ("OTHER_ID", "3434-0091-7725")],
        ),
        # a shift's leader (L) before the name
        ("夜勤L 堀→日勤L 千葉、日勤L：浜", [("PERSON", "堀"), ("PERSON", "千葉"), ("PERSON", "浜")]),
        # support staff named after their job and a space
        (
            "拾得者：看護補助 ジョセフィン、清掃スタッフ ロサリオ（委託）、警備 ベルナルド／蔵元",
            [
                ("PERSON", "ジョセフィン"),
                ("PERSON", "ロサリオ"),
                ("PERSON", "ベルナルド"),
                ("PERSON", "蔵元"),
            ],
        ),
        # one line headed by a count or a dose is no board; 3W is three weeks
        ("120 回 測定\n250 mL 補液、3W後に再診、北4条西5丁目", [("ADDRESS", "北4条西5丁目")]),
        # staff after their department or office, glued or spaced; department words stay
        (
            "産科野々村依頼、循内古賀（PHS 6254）、総務課古家から、警備猪狩へ報告",
            [
                ("PERSON", "野々村"),
                ("PERSON", "古賀"),
                ("PHONE", "6254"),
                ("PERSON", "古家"),
                ("PERSON", "猪狩"),
            ],
        ),
        ("内科外来へ、整形外科で、皮膚科医、産科病棟に、麻酔科の判断、薬剤部確認済", []),
        # chat user names after a line's time, and mentions; not an e-mail address
        (
            "6/25 07:49 kishi_gs\n確認します @aya_n、mail: ayan@example.jp、@channel",
            [
                ("DATE", "6/25 07:49"),
                ("PERSON", "kishi_gs"),
                ("PERSON", "aya_n"),
                ("EMAIL", "ayan@example.jp"),
            ],
        ),
        # staff PHS and extensions alone; phone numbers read out with の and commas between groups
        ("連絡は古賀（PHS 6254）、ホットラインPHS：6199", [("PHONE", "6254"), ("PHONE", "6199")]),
        (
            "携帯 ゼロナナゼロの、ゴーイチイチナナの、ハチサンヨンニー",
            [("PHONE", "ゼロナナゼロの、ゴーイチイチナナの、ハチサンヨンニー")],
        ),
        (
            "番号は、ぜろさん、さんごうにぜろ、ろくろくいちにです",
            [("PHONE", "ぜろさん、さんごうにぜろ、ろくろくいちに")],
        ),
        ("PHS 2 台、PHS-3 を充電", []),
        # registration plates of cars; a record heading's No. code, a labelled code with a note
        (
            "車両 品川500さ2417、ナンバー 横浜 480 こ 33-17",
            [("OTHER_ID", "品川500さ2417"), ("OTHER_ID", "横浜 480 こ 33-17")],
        ),
        ("No.Q250618-01 9:12 照会", [("OTHER_ID", "Q250618-01")]),
        ("No.4 の件、No.1,2,4,5 が同一", []),
        ("宛名番号（区）：0012873406", [("OTHER_ID", "0012873406")]),
        # log timestamps: milliseconds after a comma (log4j), a named time zone
        (
            "2024-10-15 22:41:03,118 INFO start / 出力 2025-06-18 10:24 JST",
            [("DATE", "2024-10-15 22:41:03,118"), ("DATE", "2025-06-18 10:24 JST")],
        ),
    ],
)
def test_exactly(analyzer: PhiAnalyzer, text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(analyzer, text) == expected
