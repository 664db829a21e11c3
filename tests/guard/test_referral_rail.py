"""The referral rail (医師法17条): diagnosis-like replies to patients end with a referral to care."""

from __future__ import annotations

import pytest

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction
from jmedllm.guard.base import RAILS
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.guard.policy import GuardPolicy, RailSpec, load_policy
from jmedllm.guard.rails.referral import DEFAULT_DISCLAIMER, DEFAULT_EMERGENCY_MESSAGE, ReferralRail
from jmedllm.serve import output_guard
from jmedllm.serve.output_guard import OutputGuard

RAIL = ReferralRail("referral")

#: Replies that say what the patient has, or direct a medicine or self-care, and refer no one.
DIAGNOSIS_LIKE = [
    "お話の症状からすると、片頭痛の可能性が高いです。暗く静かな部屋で休むと楽になることが多いです。",
    "喉の痛みと微熱があるとのことなので、おそらく風邪でしょう。",
    "胃のむかつきと胸やけが続くなら、逆流性食道炎が考えられます。",
    "ロキソニンは1回1錠を、痛いときに飲んでください。",
    "血圧が下がってきたので、降圧薬は半分に減らしてください。",
    "副作用がつらければ、その薬はやめても大丈夫です。",
    "熱があるうちは安静にして、水分をこまめにとってください。",
    "軽いぎっくり腰なので、数日で自然に良くなります。",
    "お子さんの症状は、手足口病によるものと考えられます。",
    "検査値から見て、鉄欠乏性貧血と診断できます。",
    "この程度の腹痛なら心配いりません。様子を見てください。",
    "鼻水とくしゃみが続くのは、花粉症かもしれません。市販の抗アレルギー薬を飲んでみてください。",
    "かゆみが強い場合は、ステロイドの軟膏を1日2回塗ってください。",
    "病院に行く必要はありません。膀胱炎なので水分を多めにとれば治ります。",
    "考えられる原因としては、緊張型頭痛や眼精疲労があります。",
    "その咳は、おそらく気管支炎です。",
    "ＣＯＶＩＤ－１９の可能性があります。",  # full-width, as some models write it
]

#: Diagnosis-like replies that already send the patient to care.
WITH_REFERRAL = [
    "片頭痛の可能性がありますが、診断には診察が必要です。頭痛外来など医療機関を受診してください。",
    "症状からは風邪が考えられますが、熱が3日以上続く場合はかかりつけ医に相談してください。",
    "胃腸炎が疑われます。脱水を防ぐため水分をとり、症状が続くなら内科を受診しましょう。",
    "花粉症かもしれません。耳鼻咽喉科で検査を受けると原因がはっきりします。",
    "降圧薬の量を減らしてください、とはお伝えできません。減量は主治医に相談して決めてください。",
    "ロキソニンを飲んでも痛みが治まらない場合は、薬剤師にご相談ください。",
    "副作用の可能性があるので、次の診察で医師に確認してください。",
    "お子さんの発熱は突発性発疹かもしれません。念のため小児科で診てもらってください。",
    "湿疹が広がっているなら、皮膚科で診察を受けるのが安心です。接触皮膚炎の可能性もあります。",
    "熱が下がらない場合は、発熱外来のある病院へ行ってください。インフルエンザが考えられます。",
]

#: Replies a patient may get that diagnose nothing: general information or nothing medical.
NOT_DIAGNOSIS_LIKE = [
    "Pythonでリストを逆順にするには、reverse()メソッドかスライスを使います。",
    "明日の東京は晴れのち曇りで、最高気温は18度の予報です。",
    "糖尿病は、血糖値が高い状態が続く病気です。主に1型と2型に分けられます。",
    "インフルエンザワクチンは、毎年秋から冬にかけて接種が行われます。",
    "高血圧の予防には、減塩と適度な運動が大切だとされています。",
    "アセトアミノフェンは、解熱鎮痛薬として広く使われている成分です。",
    "手洗いとうがいは、風邪の予防に役立ちます。",
    "会議の資料は金曜日までに共有フォルダへ保存してください。",
    "雨が降るかもしれませんので、傘をお持ちください。",
    "健康診断の結果は、通常2〜3週間ほどで郵送されます。",
    "熱中症は、高温多湿の環境で体温調節がうまくいかなくなることで起こります。",
    "糖尿病は放っておくと、合併症を起こす可能性があります。",
    "薬は自己判断でやめないでください。",
    "サーバーの通信障害でしょう。しばらくしてから再度お試しください。",
    "頭痛の原因として多いのは、緊張型頭痛と片頭痛です。",
]

#: Replies naming an emergency sign without saying 119.
EMERGENCIES = [
    "急に胸が締め付けられるような痛みが出たのなら、狭心症の可能性があります。",
    # Referred to ordinary care, but a stroke sign needs 119, not an appointment.
    "片側の手足がしびれて、ろれつが回らないのは脳梗塞のサインかもしれません。早めに医療機関を受診してください。",
    "息苦しさが強い場合は、喘息の発作が考えられます。",
    "今までにない激しい頭痛は、くも膜下出血の可能性があります。",
    "蜂に刺されたあとに全身のじんましんと息苦しさが出たら、アナフィラキシーが疑われます。",
    "子どもがけいれんを起こした場合は、横向きに寝かせて時間を計ってください。",
    "血を吐いたのであれば、胃潰瘍からの出血が考えられます。",
    "意識がもうろうとしているなら、低血糖かもしれません。",
]


@pytest.mark.parametrize("reply", DIAGNOSIS_LIKE)
def test_diagnosis_like_replies_without_referral_get_the_disclaimer(reply: str) -> None:
    result = RAIL.check(reply, stage="output")
    assert result.action is GuardAction.MASK and result.categories == ("referral",)
    assert result.transformed_text == reply + "\n\n" + DEFAULT_DISCLAIMER
    assert 0.0 < result.score <= 1.0
    # Appended once: the disclaimer refers to care, so a second check lets the reply be.
    assert RAIL.check(result.transformed_text, stage="output").action is GuardAction.ALLOW


@pytest.mark.parametrize("reply", WITH_REFERRAL)
def test_diagnosis_like_replies_with_a_referral_are_allowed(reply: str) -> None:
    result = RAIL.check(reply, stage="output")
    assert result.action is GuardAction.ALLOW and result.transformed_text is None
    assert 0.0 <= result.score <= 1.0


@pytest.mark.parametrize("reply", NOT_DIAGNOSIS_LIKE)
def test_replies_that_diagnose_nothing_are_allowed(reply: str) -> None:
    result = RAIL.check(reply, stage="output")
    assert result.action is GuardAction.ALLOW and result.score == 0.0 and result.transformed_text is None


@pytest.mark.parametrize("reply", EMERGENCIES)
def test_emergency_signs_get_the_call_119_message(reply: str) -> None:
    result = RAIL.check(reply, stage="output")
    assert result.action is GuardAction.MASK and result.categories == ("referral", "emergency")
    assert result.score == 1.0
    assert result.transformed_text == reply + "\n\n" + DEFAULT_EMERGENCY_MESSAGE
    assert "119" in DEFAULT_EMERGENCY_MESSAGE and "#7119" in DEFAULT_EMERGENCY_MESSAGE
    assert RAIL.check(result.transformed_text, stage="output").action is GuardAction.ALLOW


@pytest.mark.parametrize(
    "reply",
    [
        "胸の痛みが15分以上続くときは、迷わず119番に電話してください。狭心症の可能性があります。",
        "ろれつが回らない、片側の手足が動かないといった症状は脳卒中が疑われます。すぐに救急車を呼んでください。",
    ],
)
def test_an_emergency_reply_that_says_119_is_allowed(reply: str) -> None:
    assert RAIL.check(reply, stage="output").action is GuardAction.ALLOW


@pytest.mark.parametrize(
    "reply",
    [
        "まぶたのけいれんは、疲れや睡眠不足で起こることが多いとされています。",
        "普通に息ができるなら、まずは深呼吸をして落ち着いてください。",
        "胸やけは、食べ過ぎや脂っこい食事のあとに起こりやすい症状です。",
    ],
)
def test_look_alikes_of_emergency_signs_are_not_emergencies(reply: str) -> None:
    assert "emergency" not in RAIL.check(reply, stage="output").categories


def test_the_appended_text_follows_the_replys_own_line_breaks() -> None:
    assert RAIL.check("おそらく風邪でしょう。\n", stage="output").transformed_text == (
        "おそらく風邪でしょう。\n\n" + DEFAULT_DISCLAIMER
    )
    assert RAIL.check("おそらく風邪でしょう。\n\n", stage="output").transformed_text == (
        "おそらく風邪でしょう。\n\n" + DEFAULT_DISCLAIMER
    )


@pytest.mark.parametrize("reply", [DIAGNOSIS_LIKE[0], EMERGENCIES[0]])
def test_clinicians_are_told_everything_unchanged(reply: str) -> None:
    result = ReferralRail("referral", audience="clinician").check(reply, stage="output")
    assert result.action is GuardAction.ALLOW and result.transformed_text is None


@pytest.mark.parametrize("odd", ["", "   \n", "\x00\ud800", "。" * 500, "病" * 5000])
def test_odd_text_never_raises_and_empty_is_allowed(odd: str) -> None:
    result = RAIL.check(odd, stage="output")
    assert result.action in (GuardAction.ALLOW, GuardAction.MASK)
    if not odd.strip():
        assert result.action is GuardAction.ALLOW


def test_options_change_the_texts_and_the_action() -> None:
    custom = ReferralRail(
        "r", disclaimer="※受診をご検討ください。", emergency_message="※すぐ119番へ。", action="escalate"
    )
    plain = custom.check(DIAGNOSIS_LIKE[1], stage="output")
    assert plain.action is GuardAction.ESCALATE and plain.categories == ("referral",)
    assert plain.transformed_text == DIAGNOSIS_LIKE[1] + "\n\n※受診をご検討ください。"
    urgent = custom.check(EMERGENCIES[0], stage="output")
    assert urgent.transformed_text == EMERGENCIES[0] + "\n\n※すぐ119番へ。"


@pytest.mark.parametrize(
    "options",
    [
        {"audience": "doctor"},
        {"action": "block"},
        {"action": "allow"},
        {"disclaimer": ""},
        {"emergency_message": 119},
        {"acton": "mask"},  # misspelt: refused, not ignored
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ReferralRail("referral", **options)


def test_it_is_a_registered_whole_reply_output_rail() -> None:
    assert RAILS.get("referral") is ReferralRail
    assert ReferralRail.stages == frozenset({"output"}) and ReferralRail.whole_reply
    assert ReferralRail.option_names == {"audience", "disclaimer", "emergency_message", "action"}
    assert not any(RAILS.get(name).whole_reply for name in RAILS.names() if name != "referral")


def test_the_patient_policy_is_default_plus_referral() -> None:
    patient, clinical = load_policy("patient"), load_policy("default")
    assert patient.name == "patient"
    assert patient.input == clinical.input
    assert [s.rail for s in patient.output] == ["pii", "dose", "self_harm_output", "referral"]
    assert [s.rail for s in clinical.output] == ["pii", "dose", "self_harm_output"]


def _pipeline(*options: dict[str, object], **policy: object) -> GuardPipeline:
    specs = [RailSpec(rail="pii"), *(RailSpec(rail="referral", options=o) for o in options or [{}])]
    return GuardPipeline(GuardPolicy(name="t", output=specs, **policy))  # type: ignore[arg-type]


def test_a_whole_reply_is_checked_by_every_rail_a_window_by_the_others() -> None:
    pipeline = _pipeline()
    reply = "山田太郎さん、おそらく風邪でしょう。"
    whole = pipeline.check_text(reply, stage="output")
    assert [r.rail for r in whole.decision.rails] == ["pii", "referral"]
    assert whole.decision.action is GuardAction.MASK
    # The referral rail judged (and appended to) the masked reply.
    assert whole.texts == ["［氏名］さん、おそらく風邪でしょう。\n\n" + DEFAULT_DISCLAIMER]
    window = pipeline.check_text(reply, stage="output", scope="window")
    assert [r.rail for r in window.decision.rails] == ["pii"]
    assert window.texts == ["［氏名］さん、おそらく風邪でしょう。"]
    end = pipeline.check_text(reply, stage="output", scope="reply")
    assert [r.rail for r in end.decision.rails] == ["referral"]


def _stream(guard: OutputGuard, reply: str, size: int = 3) -> tuple[list[str], str]:
    released: list[str] = []
    for start in range(0, len(reply), size):
        released += guard.feed(reply[start : start + size])
    return released, guard.flush()


STREAMED = (
    "喉の痛みと微熱があるとのことなので、おそらく風邪でしょう。\n"
    "熱があるうちは安静にして、水分をこまめにとってください。\n"
    "のどが乾燥しないよう、加湿も心がけましょう。"
)


def test_a_streamed_reply_gets_the_disclaimer_once_at_its_end() -> None:
    guard = OutputGuard(_pipeline())
    released, tail = _stream(guard, STREAMED)
    assert len(released) >= 2  # several windows went out before the end
    assert not any("※" in window for window in released)
    assert tail.endswith("\n\n" + DEFAULT_DISCLAIMER)
    text = "".join(released) + tail
    assert text == STREAMED + "\n\n" + DEFAULT_DISCLAIMER
    assert text.count(DEFAULT_DISCLAIMER) == 1
    decision = guard.decision()
    assert [r.rail for r in decision.rails].count("referral") == 1
    assert decision.action is GuardAction.MASK and decision.categories == ("referral",)
    assert guard.flush() == ""  # the end is judged once


def test_a_referral_in_the_last_sentence_of_a_stream_is_seen() -> None:
    guard = OutputGuard(_pipeline())
    reply = STREAMED + "\n症状が3日以上続くときは、内科を受診してください。"
    released, tail = _stream(guard, reply)
    assert "".join(released) + tail == reply
    assert guard.decision().action is GuardAction.ALLOW


def test_a_streamed_emergency_gets_119_and_identifiers_stay_masked() -> None:
    guard = OutputGuard(_pipeline())
    reply = "山田太郎さん、胸の痛みと息苦しさがあるなら狭心症の可能性があります。"
    released, tail = _stream(guard, reply, size=2)
    text = "".join(released) + tail
    assert text == "［氏名］さん、胸の痛みと息苦しさがあるなら狭心症の可能性があります。\n\n" + (
        DEFAULT_EMERGENCY_MESSAGE
    )
    assert guard.decision().categories == ("PERSON", "referral", "emergency")


def test_an_escalating_whole_reply_rail_withholds_the_last_window() -> None:
    guard = OutputGuard(_pipeline({"action": "escalate"}))
    released, tail = _stream(guard, "熱があります。おそらく風邪でしょう")
    assert released == ["熱があります。"] and tail == ""
    assert guard.blocked and guard.message == GuardPolicy().messages["escalate"]
    assert guard.decision().action is GuardAction.ESCALATE


def test_without_whole_reply_rails_the_reply_is_not_kept() -> None:
    guard = OutputGuard(GuardPipeline.from_reference("clinical"))
    released, tail = _stream(guard, STREAMED)
    assert "".join(released) + tail == STREAMED
    assert guard._reply == ""


def test_a_long_stream_keeps_a_bounded_head_and_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output_guard, "MAX_REPLY_CHARS", 400)
    filler = "本日の天気は晴れです。" * 100
    # The diagnosis at the start is kept in the head, the referral at the end in the tail.
    guard = OutputGuard(_pipeline())
    _, tail = _stream(guard, "おそらく風邪でしょう。" + filler, size=7)
    assert tail.endswith(DEFAULT_DISCLAIMER) and len(guard._reply) <= 401
    guard = OutputGuard(_pipeline())
    _, tail = _stream(guard, "おそらく風邪でしょう。" + filler + "内科を受診してください。", size=7)
    assert DEFAULT_DISCLAIMER not in tail and len(guard._reply) <= 401
