"""Document templates and clinical filler for the synthetic de-identification corpus.

A template is a string with ``{key}`` placeholders and ``⟪term⟫`` marks. A key resolves in
the document's context (built in :mod:`jmedllm.deid.synth`) to an identifier, which
becomes a gold span, or to a ``str`` (clinical filler from :func:`clinical_filler`,
rendered again as a template, so filler may mention dates, facilities and protected terms). ``⟪term⟫`` marks an
eponymous medical term (橋本病, 長谷川式認知症スケール …) that must survive
de-identification; the corpus records it under ``protected``.

Clinical content is deliberately dense with things that *look* like identifiers but are
not — lab values (``WBC 8.2×10³/μL``), vitals (``BP 132/78 mmHg``), doses, ``3〜5日``
ranges, times, ages under 90 — because over-masking them is the other failure mode.
"""

from __future__ import annotations

import random

__all__ = ["EPONYMS", "KINDS", "TEMPLATES", "clinical_filler"]

#: Eponymous terms (protected: never PHI). Several share a surname with the name lists.
EPONYMS: tuple[str, ...] = (
    "橋本病", "川崎病", "パーキンソン病", "長谷川式認知症スケール", "田中ビネー知能検査", "森田療法", "バセドウ病", "クローン病", "アルツハイマー型認知症",
    "ギラン・バレー症候群", "シェーグレン症候群", "ベーチェット病", "高安動脈炎", "菊池病", "橋本脳症", "太田母斑", "メニエール病", "内田クレペリン検査",
)  # fmt: skip

_DX = (
    "2型糖尿病", "高血圧症", "脂質異常症", "慢性心不全（NYHA II度）", "発作性心房細動", "誤嚥性肺炎", "急性腎盂腎炎", "左大腿骨頸部骨折", "アテローム血栓性脳梗塞",
    "COPD（GOLD 2）", "慢性腎臓病（CKD G3b）", "胃癌術後（幽門側胃切除）", "帯状疱疹", "右下腿蜂窩織炎", "骨粗鬆症", "両変形性膝関節症", "急性虫垂炎",
    "総胆管結石性胆管炎", "右鼠径ヘルニア", "逆流性食道炎", "うつ病", "気管支喘息", "脱水症", "低ナトリウム血症",
)  # fmt: skip
_EPONYM_DX = (
    "⟪橋本病⟫（甲状腺機能低下症）", "⟪パーキンソン病⟫（Hoehn-Yahr III度）", "⟪アルツハイマー型認知症⟫", "⟪バセドウ病⟫", "⟪クローン病⟫（小腸大腸型）",
    "⟪ベーチェット病⟫", "⟪高安動脈炎⟫", "⟪シェーグレン症候群⟫", "⟪メニエール病⟫", "⟪ギラン・バレー症候群⟫", "⟪川崎病⟫（冠動脈瘤なし）", "⟪菊池病⟫", "⟪橋本脳症⟫疑い",
)  # fmt: skip
_DEPTS = (
    "内科", "循環器内科", "消化器内科", "消化器外科", "整形外科", "脳神経内科", "呼吸器内科", "総合診療科", "小児科", "精神科",
)  # fmt: skip
_MEDS = (
    "アムロジピン錠5mg 1回1錠 1日1回 朝食後", "メトホルミン塩酸塩錠250mg 1回2錠 1日2回 朝夕食後", "ワルファリンK錠1mg 1回2.5錠 1日1回 夕食後",
    "レボチロキシンNa錠50μg 1回1錠 1日1回 朝食前", "ランソプラゾールOD錠15mg 1回1錠 1日1回 朝食後", "フロセミド錠20mg 1回1錠 1日1回 朝食後",
    "アピキサバン錠2.5mg 1回1錠 1日2回 朝夕食後", "ドネペジル塩酸塩OD錠5mg 1回1錠 1日1回 朝食後", "レボドパ・カルビドパ配合錠100mg 1回1錠 1日3回 毎食後",
    "酸化マグネシウム錠330mg 1回1錠 1日3回 毎食後", "ゾルピデム酒石酸塩錠5mg 1回1錠 不眠時", "ロキソプロフェンNa錠60mg 1回1錠 疼痛時（1日3回まで）",
    "インスリン グラルギン 8単位 就寝前 皮下注", "プレドニゾロン錠5mg 1回2錠 1日1回 朝食後", "エンテカビル錠0.5mg 1回1錠 1日1回 空腹時",
    "アトルバスタチン錠10mg 1回1錠 1日1回 夕食後",
)  # fmt: skip
_CC = (
    "発熱と咳嗽", "労作時息切れ", "右季肋部痛", "食欲低下", "ふらつき", "左膝痛", "胸部不快感", "下腿浮腫", "物忘れ", "手指振戦", "腹痛と下痢",
)  # fmt: skip
_ABX = (
    "セフトリアキソン 2g/日", "アンピシリン・スルバクタム 3g×4回/日", "メロペネム 1g×3回/日", "レボフロキサシン 500mg/日",
)  # fmt: skip
_RELS = ("妻", "夫", "長男", "長女", "次男", "次女", "母", "父", "姪", "長男の妻", "キーパーソンの長女")
_OPS = (
    ("腹腔鏡下胆嚢摘出術", "胆石性胆嚢炎"), ("人工骨頭置換術（左）", "左大腿骨頸部骨折"), ("腹腔鏡下虫垂切除術", "急性虫垂炎"),
    ("鼠径ヘルニア根治術（Lichtenstein法）", "右鼠径ヘルニア"), ("経皮的冠動脈形成術（PCI）", "不安定狭心症"),
)  # fmt: skip


def _labs(rng: random.Random) -> str:
    items = [
        f"WBC {rng.uniform(3.0, 18.0):.1f}×10³/μL",
        f"Hb {rng.uniform(8.0, 15.5):.1f} g/dL",
        f"Plt {rng.uniform(8.0, 40.0):.1f}×10⁴/μL",
        f"CRP {rng.uniform(0.02, 18.0):.2f} mg/dL",
        f"AST {rng.randint(12, 140)} U/L",
        f"ALT {rng.randint(8, 160)} U/L",
        f"BUN {rng.randint(8, 60)} mg/dL",
        f"Cre {rng.uniform(0.5, 3.2):.2f} mg/dL",
        f"eGFR {rng.randint(12, 95)} mL/min/1.73m²",
        f"Na {rng.randint(124, 146)} mEq/L",
        f"K {rng.uniform(3.1, 5.8):.1f} mEq/L",
        f"HbA1c {rng.uniform(5.4, 10.5):.1f}%",
        f"BNP {rng.randint(10, 1200)} pg/mL",
        f"TSH {rng.uniform(0.1, 25.0):.2f} μIU/mL",
        f"PT-INR {rng.uniform(0.9, 3.5):.2f}",
    ]
    return "、".join(rng.sample(items, rng.randint(4, 8)))


def _vitals(rng: random.Random) -> str:
    sbp = rng.randint(92, 178)
    return (
        f"BT {rng.uniform(35.8, 39.4):.1f}℃、BP {sbp}/{rng.randint(50, min(sbp - 20, 104))} mmHg、"
        f"HR {rng.randint(52, 124)}/分、SpO2 {rng.randint(88, 99)}%（{rng.choice(('room air', 'O2 2L/分 鼻カヌラ'))}）"
    )


def _dx(rng: random.Random, eponym_p: float = 0.5) -> str:
    return rng.choice(_EPONYM_DX) if rng.random() < eponym_p else rng.choice(_DX)


def _pmh(rng: random.Random) -> str:
    items = rng.sample(_DX, rng.randint(1, 3))
    if rng.random() < 0.7:
        items.insert(rng.randint(0, len(items)), rng.choice(_EPONYM_DX))
    if rng.random() < 0.15:
        items.append(f"小児期に⟪川崎病⟫（{rng.randint(2, 6)}歳）")
    return "、".join(items)


def _meds(rng: random.Random, sep: str) -> str:
    return sep.join(
        f"{i}) {m}" if sep == "\n" else m for i, m in enumerate(rng.sample(_MEDS, rng.randint(2, 5)), 1)
    )


def _cognitive(rng: random.Random) -> str:
    scale = rng.choice(("⟪長谷川式認知症スケール⟫", "⟪長谷川式認知症スケール⟫（HDS-R）", "HDS-R"))
    return f"{scale} {rng.randint(8, 29)}/30点、MMSE {rng.randint(10, 30)}点"


def _course(rng: random.Random) -> str:
    lines = [
        f"入院後{rng.choice(_ABX)}を開始し、第{rng.randint(2, 6)}病日に解熱。CRPは{rng.uniform(5, 20):.1f}→{rng.uniform(0.1, 2):.1f} mg/dLと低下した。",
        f"血糖は{rng.randint(100, 160)}〜{rng.randint(170, 260)} mg/dLで推移し、インスリンを{rng.randint(2, 4)}〜{rng.randint(5, 8)}単位で調整した。",
        "{d3}にリハビリテーションを開始し、歩行器歩行が可能となった。",
        f"認知機能評価：{_cognitive(rng)}。",
        "家族（{rel}）と面談し、{hosp2}への転院の方針となった。",
        f"経口摂取は{rng.choice(('全粥', '軟菜', 'ミキサー食'))}で{rng.randint(5, 10)}割摂取。",
        f"{rng.randint(3, 5)}〜{rng.randint(6, 7)}日間の絶食後、食事を再開した。",
        f"心理士による⟪田中ビネー知能検査⟫ではIQ {rng.randint(55, 110)}。",
        f"不安症状に対し⟪森田療法⟫的アプローチを{rng.randint(2, 8)}週間継続した。",
        f"左頬部の⟪太田母斑⟫にはレーザー治療歴あり（{rng.randint(3, 6)}回）。",
        "振戦と無動があり⟪パーキンソン病⟫の増悪と判断、レボドパを増量した。",
    ]
    return "".join(rng.sample(lines, rng.randint(3, 5)))


def clinical_filler(rng: random.Random) -> dict[str, str]:
    """The clinical (non-identifier) keys of a document's context."""
    op_name, op_dx = rng.choice(_OPS)
    return {
        "dept": rng.choice(_DEPTS),
        "dept2": rng.choice(_DEPTS),
        "rel": rng.choice(_RELS),
        "kaigo_lv": str(rng.randint(1, 5)),
        "dx": _dx(rng),
        "dx2": _dx(rng, 0.3),
        "pmh": _pmh(rng),
        "meds": _meds(rng, "\n"),
        "meds_inline": _meds(rng, "、"),
        "labs": _labs(rng),
        "vitals": _vitals(rng),
        "course": _course(rng),
        "cc": rng.choice(_CC),
        "cog": _cognitive(rng),
        "opname": op_name,
        "opdx": op_dx,
        "blood": str(rng.choice((5, 10, 30, 50, 120, 250, 400))),
        "optime": f"{rng.randint(0, 3)}時間{rng.randint(5, 55)}分",
        "n1": str(rng.randint(2, 14)),
        "t1": f"{rng.randint(7, 11)}:{rng.choice(('00', '15', '30', '45'))}",
        "t2": f"{rng.randint(13, 20)}:{rng.choice(('05', '20', '40', '50'))}",
        "bw": f"{rng.uniform(32.0, 88.0):.1f}",
        "wari": str(rng.randint(2, 10)),
        "ht": str(rng.randint(138, 182)),
    }


# --- templates ------------------------------------------------------------------------------
# Keys: see build_context. Each kind has several variants; layout, order and wording vary
# as they do between hospitals' EHR products.

_DISCHARGE = (
    """退院時サマリー
患者氏名：{pt}（{pt_kana}）　{sex}　{age}
{pid_ctx}：{pid}　生年月日：{dob}
入院日：{d2}　退院日：{d4}　入院病棟：{ward}
主治医：{dr}　担当看護師：{ns}
【診断名】
#1 {dx}
#2 {dx2}
【既往歴】{pmh}
【入院時現症】{vitals}
【入院時検査】{labs}
【入院経過】
{course}
【退院時処方】
{meds}
【退院後の予定】{d5}に当院{dept}外来（{dr_sur}医師）を予約。
{hosp}　{dept}""",
    """【退院サマリー】{hosp} {dept}
{pt}{hon}は{age}の{sex}。{d1}頃より{cc}を自覚し、{clinic}を受診。{d2}、精査加療目的に当科入院となった。
既往：{pmh}。内服：{meds_inline}。
入院時、{vitals}。血液検査では{labs}。
{course}
{d4}、自宅（{addr}）へ退院。キーパーソンは{rel}の{fam}さん（連絡先 {fam_tel}）。
記載医：{dr}（{d6}）""",
    """転院時サマリー
{pid_ctx} {pid}
氏名 {pt} 様　({pt_roma})　{sex1}　{age}
入院期間：{d2}〜{d4}
転院先：{hosp2}　担当：{dr2} 先生（TEL {tel}）
診断：{dx}、{dx2}
経過：{course}
ADL：{cog}。体重 {bw} kg。
処方：
{meds}
保険：保険者番号 {insurer}　記号・番号 {ins_sym}
当院主治医：{dr}""",
)

_REFERRAL = (
    """診療情報提供書
{d6}
{hosp2}
{dept2}　{dr2} 先生 御侍史
紹介元医療機関：{hosp}
{zip}　{addr2}
TEL：{tel}　FAX：{fax}
医師名：{dr}
患者氏名：{pt} 様（{pt_kana}）
生年月日：{dob}（{age}）　性別：{sex1}
住所：{addr}　電話：{mob}
傷病名：{dx}
紹介目的：精査・加療のお願い
既往歴：{pmh}
症状経過：{d1}頃より{cc}あり。{course}
検査結果：{labs}
現在の処方：
{meds}
当院ホームページ：{url}""",
    """紹介状
{hosp2} {dept2} 外来担当医 先生
いつも大変お世話になっております。
{pt}{hon}（{age}、{sex}、{pid_ctx} {pid}）をご紹介申し上げます。
患者さんは{d1}より当院にて{dx}の加療中でしたが、{d6}の受診時に{cc}の増悪を認めました。
{vitals}。{labs}。
ご多忙のところ恐縮ですが、ご高診の程よろしくお願い申し上げます。
なお、ご本人は{oid_ctx}（{oid}）をお持ちの方で、通訳が必要な場合があります。
{clinic}　院長 {dr}
連絡先：{tel}／{email}""",
    """診療情報提供書（返書）
{clinic}　{dr2} 先生
ご紹介いただきました {pt} 様（{dob} 生）について御報告いたします。
{d3}に当科を受診され、精査の結果 {dx} と診断いたしました。
既往の{pmh}については従来どおり貴院での加療をお願いいたします。
処方内容：{meds_inline}
次回は{d5}に当院で再評価予定です。
{hosp} {dept}　{dr}
{zip} {addr2}　代表 {tel}""",
)

_NURSING = (
    """看護記録　{ward} {room}
{ts1}　記載：{ns}
S）「夜はあまり眠れなかった。{cc}が少しある」
O）{vitals}。食事摂取 {wari}割。創部発赤なし。
A）{dx}に伴う症状は改善傾向。転倒リスク高。
P）{t2}に再検。離床時は付き添い。ナースコール指導継続。
{ts2}　{rel}の{fam}様来棟。病状について{dr}医師より説明あり。""",
    """経過記録（看護）
患者：{pt}{hon}　{age}　{pid_ctx}:{pid}
{d5} 夜勤帯：{ns_sur}
22:00 {vitals}。不穏なし。
02:30 トイレ歩行時ふらつきあり、見守りにて対応。{cog}。
06:00 血糖 {n1}0 mg/dL、インスリン指示どおり施行。
申し送り：{d6}に{hosp2}へ転院予定。連絡先（{rel}）{fam_tel}。""",
    """入院時看護アセスメント
入院日：{d2}　病室：{ward}{room}
氏名：{pt}（{pt_kana}）　{sex}　{age}
主病名：{dx}　既往：{pmh}
家族構成：{rel}（{fam}）と二人暮らし。連絡先 {fam_tel}
住所：{zip} {addr}
職業：{work} 勤務（現在休職中）
アレルギー：なし　身長 {ht}cm　体重 {bw}kg
持参薬：{meds_inline}
担当看護師：{ns}""",
)

_SOAP = (
    """{d6} 外来　{dept}　担当医 {dr}
{pid_ctx} {pid}　{pt} 様　{age}　{sex1}
S: {cc}。前回受診（{d4}）以降、症状は{n1}日ほど続いている。
O: {vitals}。
   {labs}
A: {dx}。{dx2}は安定。
P: {meds_inline}を継続。次回 {d5} 再診、採血予定。""",
    """#外来診察記録
日付：{d6}
患者：{pt}（{pt_roma}）{age} {sex}
【S】{cc}あり。{rel}付き添い。
【O】{vitals}。胸部聴診 清、下腿浮腫 軽度。{labs}
【A】{dx}
【P】処方変更なし。紹介元 {clinic} へ経過報告。{hosp2}での精査を検討。
記載者：{dr}""",
    """再診　{d6}　{dept}
{pt}{hon}　生年月日 {dob}
S）{cc}は改善。内服アドヒアランス良好。
O）{vitals}。{cog}。
A）{dx}。
P）1. {meds_inline}
   2. {d5}に頭部MRI予約
   3. 介護保険申請について{care}（担当 {cm}）と連携
Dr. {dr}""",
)

_OPERATIVE = (
    """手術記録
患者：{pt}（{pid_ctx}：{pid}）{age} {sex}
手術日：{d3}
術式：{opname}
術前診断：{opdx}　術後診断：同左
術者：{dr}　助手：{dr2}　麻酔科：{dr3}　器械出し：{ns}
麻酔：全身麻酔（気管挿管）
手術時間：{optime}　出血量：{blood} mL
所見：癒着は軽度。既往の{pmh}に留意し手技を進めた。
術後指示：{t2}より飲水可。抗菌薬 {n1}日間。""",
    """【手術記録】{hosp}
{d3}　{opname}
Patient: {pt_roma} / {pt}　ID {pid}
Surgeon: {dr}　Assistant: {dr2}
術前 {vitals}
出血 {blood}g、輸血なし。手術時間 {optime}。
術後経過良好なら{d4}退院予定。""",
    """手術・処置記録
実施日 {d3}　実施場所 {hosp} 手術室{n1}
対象：{pt}{hon}（{age}）
処置名：{opname}
執刀医 {dr} ／ 麻酔医 {dr3}
術中所見：特記事項なし。{labs}
家族（{rel}・{fam}様）へ術後説明済み。""",
)

_PHARMACY = (
    """疑義照会記録
照会日時：{ts1}
薬局：{pharm}（TEL {tel}／FAX {fax}）
薬剤師：{ph}
処方医療機関：{hosp}　処方医：{dr} 先生
患者：{pt} 様（{pt_kana}）{age}
保険者番号：{insurer}　記号・番号：{ins_sym}
照会内容：{meds_inline}のうち、eGFR {n1}5 mL/min/1.73m²のため用量について確認。
回答：減量（1日1回）に変更。
備考：既往に{pmh}あり。""",
    """服薬指導記録
{d6}　{ward}
{pt}{hon}　{age}　{pid_ctx} {pid}
処方：
{meds}
指導内容：{dx}の治療薬について説明。ふらつき時は5〜10分安静に。
担当薬剤師 {ph}""",
    """トレーシングレポート（服薬情報提供書）
{hosp} {dept} {dr} 先生
{pharm}　薬剤師 {ph}
TEL {tel}　FAX {fax}
患者 {pt} 様　生年月日 {dob}
お薬手帳より{clinic}でも{meds_inline}が処方されていることを確認しました。
重複投与の可能性がありますのでご検討ください。（{d6}）""",
)

_MESSAGE = (
    """問診票
記入日：{d6}
お名前：{pt}　フリガナ：{pt_kana}
生年月日：{dob}（{age}）
ご住所：{zip}　{addr}
電話番号：{mob}
メールアドレス：{email}
今日はどうされましたか：{cc}が{n1}日前から続いています
現在治療中の病気：{pmh}
服用中のお薬：{meds_inline}
かかりつけ医：{clinic}
勤務先：{work}""",
    """件名：予約変更のお願い
送信者：{pt}（{email}）
{hosp} {dept} ご担当者様
いつもお世話になっております。{pid_ctx}{pid}の{pt}です。
{d5}の予約を{d6}に変更していただけないでしょうか。
{cc}が続いており、{pmh}の薬も残りわずかです。
マイナンバーカードで受付したところエラーになりました。個人番号は{mynum}です。
日中は{mob}にご連絡ください。
予約ページ（{url}）からは変更できませんでした。""",
    """オンライン問診（外国人患者）
Name / 氏名：{pt_roma}（{pt}）
Date of birth / 生年月日：{dob}
{oid_ctx}：{oid}
Address / 住所：{addr}
Phone / 電話：{mob}
E-mail：{email}
症状：{cc}。{d1}から。
既往歴：{pmh}
保険：保険者番号 {insurer}""",
)

_FAMILY_CALL = (
    """電話連絡記録　{ts2}
発信者：{rel}　{fam}様（TEL：{fam_tel}）
受信者：{ns}
内容：{pt}{hon}の病状（{dx}）について問い合わせ。{dr}医師より{d5}に面談予定と伝達。
介護保険の申請書に記入するため、本人の個人番号（{mynum}）の控えを持参するとのこと。
{rel}は{addr}在住、来院まで約1時間。""",
    """家族連絡
{ts1}
患者 {pt}（{age}）の{rel}、{fam}さんより電話あり。
「{hosp2}への転院はいつになりますか」とのこと。
MSW {cm} より折り返し連絡予定（{fam_tel}）。
※{rel}のメール {email} への資料送付を希望。""",
    """病状説明の記録
日時：{ts2}　場所：{ward} 面談室
参加者：{dr}（主治医）、{ns}（看護師）、{rel} {fam} 様
説明内容：{dx}について。{course}
今後：{d5}頃に退院または{care}への入所を検討。
家族連絡先：{fam_tel}""",
)

_REPORT = (
    """検査報告書
依頼科：{dept}　依頼医：{dr}
{pid_ctx}：{pid}　患者名：{pt_kana}（{pt}）　{sex1}　{age}
検体採取日：{d6}　報告日：{d5}
結果：{labs}
コメント：{dx}として矛盾しない。既往：{pmh}。""",
    """放射線科読影レポート
検査：胸部CT（単純）　検査日：{d6}
患者：{pt_roma}／{pt}　ID {pid}
依頼元：{hosp2}　{dr2} 先生
所見：右下葉に浸潤影を認める。胸水少量。縦隔リンパ節腫大なし。
診断：肺炎疑い。{d4}の前回検査と比較し増悪。
読影医：{dr}（{hosp}）""",
    """病理診断報告書
{hosp}　病理診断科
受付日 {d5}　{pid_ctx} {pid}
氏名 {pt} 殿　{age}　{sex}
臨床診断：{opdx}
術式：{opname}
病理診断：悪性所見なし。
病理医：{dr}　臨床医：{dr2}""",
)

_CARE = (
    """居宅サービス計画 モニタリング報告書
作成日：{d6}
事業所：{care}　介護支援専門員：{cm}（TEL {tel}／E-mail {email}）
利用者：{pt} 様　{age}　要介護{kaigo_lv}
被保険者番号：{kaigo}
住所：{zip} {addr}
主治医：{clinic} {dr} 先生
家族：{rel} {fam} 様（{fam_tel}）
状況：{cog}。{dx}で通院中。デイサービス週{kaigo_lv}回利用。
次回訪問：{d5}""",
    """主治医意見書 依頼・情報提供
{clinic}　{dr} 先生
{care}の{cm}です。いつもお世話になっております。
{pt}{hon}（{dob}生、{age}）の状態についてご報告します。
{d4}頃より{cc}が目立ち、{cog}でした。
既往：{pmh}
服薬：{meds_inline}
介護保険被保険者番号 {kaigo}、保険者番号 {insurer}
事業所HP：{url}""",
    """地域包括支援センター 相談記録
受付：{d6}　対応者：{cm}
相談者：{rel}　{fam}（{fam_tel}）
本人：{pt}（{pt_kana}）　{age}　{sex}
住所：{addr}
{oid_ctx}：{oid}
相談内容：物忘れが進み、{d3}に{hosp}で{dx}と言われた。{cog}。
基礎疾患：{pmh}""",
    """要介護認定申請 受付記録
申請日：{d6}　受付：{cm}（{care}）
被保険者：{pt}（{pt_kana}）　{sex}　{age}　生年月日 {dob}
個人番号：{mynum}
被保険者番号：{kaigo}
住所：{zip} {addr}　電話 {tel}
主治医：{clinic}　{dr} 医師
申請理由：{dx}により日常生活に介助を要する。{cog}。
代理申請者：{rel} {fam}（{fam_tel}）""",
)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "discharge_summary": _DISCHARGE,
    "referral_letter": _REFERRAL,
    "nursing_note": _NURSING,
    "outpatient_soap": _SOAP,
    "operative_record": _OPERATIVE,
    "pharmacist_note": _PHARMACY,
    "patient_message": _MESSAGE,
    "family_call": _FAMILY_CALL,
    "lab_imaging_report": _REPORT,
    "care_manager_report": _CARE,
}
KINDS: tuple[str, ...] = tuple(TEMPLATES)
