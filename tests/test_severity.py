import numpy as np
import pytest

from feedback_nlp.tasks.severity import decide_severity, escalation_signals

LOW = np.array([0.9, 0.05, 0.03, 0.02])


@pytest.mark.parametrize("text, reason", [
    ("吃完上吐下泻进了医院", "health or safety risk"),
    ("再不处理我就打12315", "legal, regulator or media threat"),
    ("账号被盗了，还被盗刷了两千", "stolen account or unauthorised payment"),
    ("不止我一个人遇到这个问题", "many users affected"),
])
def test_critical_rules_raise_severity(text, reason):
    level, reasons = decide_severity(LOW, escalation_signals(text))
    assert level == "critical" and reason in reasons


def test_rules_never_lower_and_model_reason_is_given():
    level, reasons = decide_severity(np.array([0.0, 0.1, 0.2, 0.7]), [])
    assert level == "critical" and reasons[0].startswith("model: critical")
    level, _ = decide_severity(LOW, escalation_signals("退款一直没到账"))
    assert level == "high"


def test_critical_threshold():
    probs = np.array([0.5, 0.1, 0.1, 0.3])
    assert decide_severity(probs, [], critical_threshold=0.25)[0] == "critical"
    assert decide_severity(probs, [], critical_threshold=0.5)[0] == "low"


def test_expected_value_decoding_and_rule_tuning():
    from feedback_nlp.tasks.severity import ev_cuts, model_severity

    cuts = ev_cuts({"ev_medium": 0.6, "ev_high": 1.5, "ev_critical": 2.5, "critical": 0.3})
    assert cuts == [0.6, 1.5, 2.5] and ev_cuts({"critical": 0.3}) is None
    p = np.array([0.45, 0.1, 0.45, 0.0])  # argmax low, expected level 1.0 -> medium
    assert model_severity(p) == 0 and model_severity(p, cuts=cuts) == 1
    assert model_severity(np.array([0.6, 0.0, 0.0, 0.4]), critical_threshold=0.3, cuts=cuts) == 3
    assert decide_severity(p, [], 0.5, cuts)[0] == "medium"
    # bare verdicts no longer escalate; threats and harm still do
    assert escalation_signals("差评！") == []
    assert decide_severity(LOW, escalation_signals("再不处理我就投诉"))[0] == "high"
    assert decide_severity(LOW, escalation_signals("吃完又吐又泻，去了医院"))[0] == "critical"
    assert decide_severity(LOW, escalation_signals("账号被别人登了，还开了免密支付"))[0] == "critical"


@pytest.mark.parametrize("text", [
    "手背烫红了一大片，起了两个水泡",
    "孩子从床上摔下来，额头缝了四针",
    "插头冒火花，一股焦糊味",
    "对方讲得出我的全名和订单金额",
    "有人从陌生设备登录了我的账号，被人登入后改了地址",
    "我根本没买过这个，怎么扣了钱",
    "评论区几百人都一样，热搜都上了",
])
def test_rules_added_from_train_annotations_escalate_to_critical(text):
    level, _ = decide_severity(LOW, escalation_signals(text))
    assert level == "critical"


# ---------------------------------------------------------------- every rule fires on its cases, not on near misses
RULE_CASES = {
    "health or safety risk": (["吃了外卖全家食物中毒", "用完过敏起了一身红疹", "插座冒烟还有焦味", "孩子手指被夹伤骨折了",
                               "装完燃气灶家里一直有煤气味", "烫得起水泡了", "手上全是水泡", "电池炸了", "充电宝爆炸了",
                               "厨房着火了",
                               # Cantonese (Hong Kong tickets): diarrhoea, hospital, doctor, emergency room
                               "食完成晚屙肚", "個仔肚痾", "食完即刻嘔，入咗院", "要帶佢睇醫生", "call 白車入急症室",
                               "孩子的手被划伤了", "包装的铁皮划伤了手指",
                               "烧水壶不会自停，烫到手", "差点把我包烧了", "宝宝用了面霜脸上起了很多红点", "喝完嗓子肿痛",
                               "燃气灶漏气，屋里一股味道", "电热毯半夜自己烧起来了", "孩子被玩具的尖角划破了脸",
                               "刀片没装好，割到手了，流了很多血", "玻璃杯倒了热水就炸裂了", "电动车电池充电时突然冒火",
                               # English (codebook v1.2: labelled like Chinese)
                               "电梯坏了，我们被困在电梯里半小时", "本人还被关在电梯里",
                               "We all got food poisoning from this meal", "My son got a rash after one use",
                               "The heater caught fire last night", "the charger sparked and my kid was injured",
                               # 医院 as care (rule DG), negated or not; 吃出 glass; a burst; probe forms (rule DK)
                               "孩子吃完吐了，已经带去医院检查", "我人在医院输液", "儿童医院拍片说要观察", "下午从医院回来",
                               "送到了医院", "还没去医院，一直吐", "不得不去医院", "米饭里吃出一块玻璃", "吃出虫子，吃完就拉肚子了",
                               "充电宝放在车里，今天中午自己炸了", "万一炸了谁负责", "孩子误吞了玩具里的小零件", "脸又红又肿"],
                              ["物流有点慢，晚了两天", "包装有点烂",
                               # other words and senses: 泡 as a verb, 火车 / 火炉, anger
                               "用温水泡一下就好", "盐水泡了一天还掉色", "用此水泡咖啡味道更佳", "可以煮水泡茶", "紧挨着火车站", "围着火炉吃雪糕", "真的要气炸了",
                               "服务差到爆炸",
                               # foam, a smell, a feeling, a scratch mark on a phone
                               "这洗发水泡沫倒是很多", "米线一股呕吐物的味道", "可想而知我的心受伤了", "旁边有明显划伤痕迹",
                               # a product's scratch, feelings, anger, a device's virus
                               "屏幕有小划伤", "外壳容易划伤", "尺码不对，这次很受伤", "快递真的是差到爆炸了", "电脑中毒了",
                               # boiling water, a degree of heat
                               "电热水壶烧了一次水，水里全是黑色颗粒", "玩游戏十分钟就烫到不行", "手机屏幕右上角长了个红点",
                               "三个空气袋有两个已漏气", "充电器爆了，还好没烧起来", "包装袋划破了", "音质炸裂，低音很棒",
                               "这裤子真的是太冒火了",
                               # a harm negated: nothing happened
                               "用了没有过敏，敏感肌也可以用", "这款电暖器不会起火，很安全", "宝宝吃了也没有出现拉肚子",
                               # ... in Cantonese (冇 = 没有, 唔 = 不)
                               "用咗一個月都冇過敏，好溫和", "部暖爐唔會燒焦，好安全", "食咗冇肚痾，好新鮮",
                               # an insect in food alone is high (codebook v1.1; rule DE); 医院 as a place or a topic
                               # (DG); an overload or a mood (DJ); a probe form negated (DK)
                               "外卖里吃出一只虫子", "吃个凉拌土豆丝我还吃出个小虫子", "酒店就在养和医院旁", "临近医院",
                               "到了社区医院说没有库存", "医院诊断证明，可查可盖章", "去南浦大桥附近的医院", "这几天物流炸了",
                               "卡炸了，有时还失灵", "我快原地爆炸了", "孩子没有误吞，虚惊一场",
                               # a broken screen, figures of speech (rule J1)
                               "不知什么原因液晶屏炸了", "用了三个月，显示屏就炸了", "点这家了，等得都炸了", "都特么想炸了它",
                               # English: a word inside another word, a harm negated
                               "The app crashes every time", "sparkling water tastes flat",
                               "No rash at all, very gentle", "The hotel is close to the hospital",
                               "no injuries, but the box was crushed"]),
    "legal, regulator or media threat": (["我已经联系了律师，准备起诉你们", "再不處理我就要提告了", "这件事已经被媒体报道了", "已经投诉到消费者协会",
                                          "材料已寄给市场监督管理局", "I will sue you if this is not fixed",
                                          "My lawyer will contact you", "I am reporting this to the police",
                                          "再不处理我就把这事捅到电视台", "材料已经交给报社了",
                                          "我已经报咗警", "再不处理我就打12315", "我要找媒体曝光", "我要曝光你们",
                                          "你们等着被曝光吧", "再这样我就发到网上曝光", "找电视台曝光你们"],
                                         ["价格有点贵", "客服态度一般", "多媒体功能强大", "东西找回来了，不用报警了",
                                          "看视频时居然打出像报警声音似的", "柔和的报警音", "打开windows媒体播放器有点慢",
                                          "被媒体吹得很厉害", "都是媒体炒作", "民事诉讼法的教材",
                                          "Please issue your refund today", "Not a police matter, just slow",
                                          "在央视上看到这个产品的广告才买的", "大家上新闻看看就知道了", "懂得回报社会",
                                          # 曝光 of a camera, a past report, a headline (rule DF)
                                          "拍照时有自动调节曝光功能", "还有曝光补偿", "蒙牛又被曝光质量问题", "被曝光过的黑心企业",
                                          "@问题食品大曝光"]),
    "stolen account or unauthorised payment": (["账号被盗了", "另一台手机上登录了我的账号", "someone logged into my account",
                                                "这笔扣款我没授权", "自动续费又扣了我25", "我从来没买过这个会员",
                                                # Cantonese
                                                "多咗幾單唔係我落嘅訂單", "我根本冇落單", "冇經過我同意就扣咗",
                                                "從來冇買過呢個會員", "这是未经同意的扣款", "我個帳戶今朝俾人登入咗",
                                                # English
                                                "I never agreed to these charges", "three purchases I did not make",
                                                "charged without my consent", "a login from an unknown device",
                                                "my password was changed and my account was taken over",
                                                # 账号被 of a theft (rule DD); a card charged by someone else (DH, DK);
                                                # 没经过我 before a payment word (DI)
                                                "我的账号被注销了！不是我操作的", "账号被人登了，收货地址也改了", "帐户被盗",
                                                "信用卡今天凌晨被刷了六笔", "钱已经被刷走了", "我本人当时在睡觉，从未下单",
                                                "没经过我同意就扣款", "没经过我的同意，又刷走了", "账户里的钱被转走了5000"],
                                               ["账号登录不了，验证码收不到", "我想改一下收货地址", "这本书被盗版了",
                                                "从来没买过这么差的火龙果", "從來冇買過咁好食嘅蛋糕",
                                                # 未经同意 of a room, a photo, a trademark
                                                "山景房未经同意换成城景房", "买家秀被店铺未经同意用作商品主图",
                                                "多家店铺未经授权使用我司注册商标", "我老公用我部iPad登入咗佢個帳戶",
                                                "I was charged twice for one booking", "I changed my password at once",
                                                "the new location is nice, logged in fine",
                                                # a platform's penalty (codebook v1.1: pricing_promotion; rule DD),
                                                # a key card, 没经过我 of a return or a delivery (DI)
                                                "我的账号被封了，说我涉嫌刷单", "我的帳號被限制不能用貨到付款", "账号被判定刷单",
                                                "账户被冻结了，余额提不出来", "钥匙被刷打不开门", "从未买过如此苦的柚子",
                                                "纸巾居然没经过我同意就自动退货了", "配送竟然没经过我同意让别人代收了",
                                                # a penalty a few characters on, or between 被 and 登录 (rule EC)
                                                "账号被无故封禁", "我的账号被永久封禁了", "账号突然被限制登录了",
                                                "账号被判定“登录环境异常”"]),
    "fraud or personal-data leak": (["冒充客服骗了我两千块钱", "发来一个链接让我填银行卡号", "我的个人信息被泄露了",
                                     "我的個資被外洩了", "发来一个钓鱼网站", "收到的是一个纸箱，箱内只有两块砖头",
                                     "my personal data was leaked", "you sold my phone number to scammers",
                                     "收到一个假冒客服的电话，骗我转了3000", "骑手把我的手机号卖给了贷款公司"],
                                    ["优惠券用不了", "发票还没开", "带出去看个资料也方便", "一起钓鱼去吧", "保护钓鱼岛",
                                     "沐浴露泄露了，包装都不防撞", "没有破损泄露",
                                     # 砖头 as a figure of speech: a bricked phone, heavy bread, a brick to press on
                                     "七千块买了个砖头", "这面包干得能当砖头使", "每次充电要压上一块砖头",
                                     "淋浴房的水是往外流的", "the bottle leaked in the box"]),
    "many users affected": (["评论区好多人都一样，不止我一个", "我们小区几十个人都买了", "唔止我一個，我啲朋友都係咁",
                             "I'm not the only one", "many other customers have the same problem"],
                            ["我一个人用着还行", "many customers like it"]),
    "money lost or refund refused": (["商家拒绝退款", "退款半个月了还没到", "同一单扣了两次钱", "間舖唔肯退",
                                      "退款兩個禮拜仲未收到", "商家跑路了", "押金要不回来了"],  # rule EE
                                     ["退款已经到账了，谢谢", "要不回去拿一下"]),
    "repeated contact without a fix": (["联系了三次客服都没解决", "打了好几个电话没人处理", "第三次投诉了",
                                        "搵咗客服三次都冇人理", "打咗好多次電話都冇人聽"],
                                       ["联系客服后很快解决了"]),
    "threat of complaint or bad review": (["再不处理我就投诉", "骗子商家，必须差评", "再不发货我就给差评", "今天再不退款就差评"],
                                          ["整体还行，下次再来", "第一次给差评", "再不买了，差评"]),
    "counterfeit": (["这是假货，和专柜的不一样", "根本不是假货吗？明明就是假货", "明显是高仿的", "包装都是仿冒的", "一看就是假的", "怀疑是假的"],
                    ["正品，和专柜一样", "是度假的好地方", "暑假的时候住的"]),
}


@pytest.mark.parametrize("reason", list(RULE_CASES))
def test_every_escalation_rule_fires_on_its_cases_and_not_on_near_misses(reason):
    """Each rule gets cases written here: weakening or deleting one fails this test."""
    from feedback_nlp.tasks.severity import ESCALATION_RULES
    from feedback_nlp.text import normalize

    assert reason in {r.reason for r in ESCALATION_RULES}
    fires, misses = RULE_CASES[reason]
    for text in fires:
        assert reason in {r.reason for r in escalation_signals(normalize(text))}, text
    for text in misses:
        assert reason not in {r.reason for r in escalation_signals(normalize(text))}, text


def test_a_negated_harm_fires_only_when_another_match_is_not_negated():
    # Codebook: critical is a harm that happened or threatens. A question that repeats the verb still worries, and a
    # rule whose signal is a negation (不给退, 没授权) is not negatable.
    from feedback_nlp.tasks.severity import negated
    from feedback_nlp.text import normalize

    def reasons(text):
        return {r.reason for r in escalation_signals(normalize(text))}

    assert "health or safety risk" not in reasons("猫粮猫咪爱吃，没有呕吐")
    assert "health or safety risk" in reasons("没有过敏，但是孩子吃完拉肚子了")  # the second match is not negated
    assert "health or safety risk" in reasons("粥馊了，不知道今晚会不会拉肚子")  # 会不会: a question
    assert "health or safety risk" in reasons("有没有人吃了拉肚子")
    assert "health or safety risk" in reasons("还没住院，但是一直吐")  # care named, not harm denied
    assert "health or safety risk" in reasons("唔知會唔會肚痾")  # 會唔會: a Cantonese repeated question
    assert "health or safety risk" in reasons("冇人理，個女食完入咗院")  # 冇 negates 人理, not the care named
    assert "money lost or refund refused" in reasons("商家不给退款")
    assert "stolen account or unauthorised payment" in reasons("这笔扣款我没授权")
    assert negated("没有过敏", 2) and not negated("会不会过敏", 3) and not negated("过敏", 0)
    assert "health or safety risk" not in reasons("no food poisoning, just cold food")  # English negators
    assert "health or safety risk" in reasons("my daughter didn't stop vomiting")  # n't of another verb
    assert "health or safety risk" in reasons("did not expect to end up in hospital")  # not negated there
    assert "health or safety risk" not in reasons("luckily we never went to hospital")


def test_a_worry_is_no_stolen_account_or_leak():
    # Codebook: a stolen account, an unauthorised payment, a fraud or a leak is an event; a worry names none (rule
    # CD). A health risk stays critical (会不会拉肚子, above).
    from feedback_nlp.tasks.severity import worried
    from feedback_nlp.text import normalize

    def reasons(text):
        return {r.reason for r in escalation_signals(normalize(text))}

    stolen, leak = "stolen account or unauthorised payment", "fraud or personal-data leak"
    assert stolen not in reasons("用我妈的卡付款可以吗？会不会被当成盗刷")
    assert stolen not in reasons("点了一个链接输了密码，会不会被盗？")
    assert leak not in reasons("非要上传身份证，谁知道会不会泄露出去")
    assert leak not in reasons("不让开箱验货，真担心收到的是个砖头")
    assert stolen in reasons("一直担心的事发生了，账号被盗了")  # the worry is in another clause
    assert stolen in reasons("会员到期了，我的账号被盗了") and leak in reasons("我的个人信息被泄露了")
    assert worried("会不会被当成盗刷", 6) and not worried("账号被盗", 2)


def test_every_rule_has_cases_here():
    from feedback_nlp.tasks.severity import ESCALATION_RULES

    assert {r.reason for r in ESCALATION_RULES} == set(RULE_CASES)


# ---------------------------------------------------------------- the combined decision's operating points
TH = {"critical": 0.6, "critical_review": 0.3, "ev_medium": 0.6, "ev_high": 1.5}


def test_combined_critical_point_and_review_band():
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    legal = [r for r in ESCALATION_RULES if r.reason.startswith("legal")]
    level, reasons, review = decide_severity_combined(np.array([0.1, 0.1, 0.15, 0.65]), legal, TH)
    assert level == "critical" and review is None and "legal, regulator or media threat" in reasons
    # just below the critical point: high and sent to review with how close it came
    level, reasons, review = decide_severity_combined(np.array([0.3, 0.2, 0.1, 0.4]), legal, TH)
    assert level == "high" and review.startswith("close to critical: P(critical) 0.40 < 0.60")
    assert "legal, regulator or media threat" in review
    # below the review band: the expected level decides, never above high
    level, _, review = decide_severity_combined(np.array([0.7, 0.2, 0.05, 0.05]), [], TH)
    assert level == "low" and review is None
    level, _, _ = decide_severity_combined(np.array([0.0, 0.1, 0.65, 0.25]), [], TH)
    assert level == "high"
    # a critical rule alone does not make a record critical: the combiner weighs it
    level, _, _ = decide_severity_combined(np.array([0.6, 0.3, 0.05, 0.05]), legal, TH)
    assert level == "low"


def test_combined_critical_needs_more_without_a_signal():
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    th = dict(TH, critical=0.3, critical_unsignalled=0.6, critical_review=0.2)
    p = np.array([0.2, 0.2, 0.15, 0.45])
    legal = [r for r in ESCALATION_RULES if r.reason.startswith("legal")]
    assert decide_severity_combined(p, legal, th)[0] == "critical"
    level, _, review = decide_severity_combined(p, [], th)  # same probability, no signal: not enough
    assert level == "high" and "< 0.60 (no escalation signal)" in review
    high_only = [r for r in ESCALATION_RULES if r.reason == "counterfeit"]
    assert decide_severity_combined(p, high_only, th)[0] == "high"  # a high-level rule is no critical signal


def test_combined_not_chinese_is_critical_only_with_a_signal():
    # The heads read Chinese n-grams: on an English ticket their P(critical) alone is not evidence (rule CB)
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    th = dict(TH, critical=0.04, critical_unsignalled=0.08, critical_review=0.02)
    p = np.array([0.3, 0.3, 0.25, 0.15])
    assert decide_severity_combined(p, [], th)[0] == "critical"
    level, _, review = decide_severity_combined(p, [], dict(th, band_not_chinese=1), not_chinese=True)
    assert level == "high" and "< 1.00 (no escalation signal)" in review
    stolen = [r for r in ESCALATION_RULES if r.reason.startswith("stolen")]
    assert decide_severity_combined(p, stolen, th, not_chinese=True)[0] == "critical"
    assert decide_severity_combined(p, [], dict(th, critical_not_chinese=0.1), not_chinese=True)[0] == "critical"


def test_combined_not_chinese_is_not_lifted_by_the_review_band():
    # English praise had been `high` on P(critical) 0.08-0.17 through the band (rule FE): the expected level decides
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    th = dict(TH, critical=0.04, critical_unsignalled=0.08, critical_review=0.02)
    p = np.array([0.7, 0.15, 0.05, 0.1])
    assert decide_severity_combined(p, [], th, not_chinese=True)[::2] == ("low", None)
    assert decide_severity_combined(p, [], th)[0] == "critical"  # Chinese: P(critical) alone
    assert decide_severity_combined(p, [], dict(th, band_not_chinese=1), not_chinese=True)[0] == "high"
    stolen = [r for r in ESCALATION_RULES if r.reason.startswith("stolen")]  # a signal keeps the band
    assert decide_severity_combined(p, stolen, dict(th, critical=0.5), not_chinese=True)[0] == "high"


def test_combined_platform_penalty_is_critical_only_with_a_signal():
    # Codebook v1.1: a platform's penalty on an account is platform rules, not a theft; the heads' P(critical) of
    # 0.17-0.19 on "账号被判定刷单封了" is not evidence of one (rule ED)
    from feedback_nlp.tasks.severity import ESCALATION_RULES, decide_severity_combined

    th = dict(TH, critical=0.04, critical_unsignalled=0.08, critical_review=0.02)
    p = np.array([0.3, 0.3, 0.25, 0.15])
    level, _, review = decide_severity_combined(p, [], th, penalty=True)
    assert level == "high" and "< 1.00 (no escalation signal)" in review
    stolen = [r for r in ESCALATION_RULES if r.reason.startswith("stolen")]
    assert decide_severity_combined(p, stolen, th, penalty=True)[0] == "critical"
    assert decide_severity_combined(p, [], dict(th, critical_penalty=0.1), penalty=True)[0] == "critical"


@pytest.mark.parametrize("text, named", [
    ("我的账号被判定刷单封了", True), ("账号莫名其妙被风控了", True), ("店铺被封了，货款冻结", True), ("我被封号了", True),
    ("我的帳號被限制不能用貨到付款", True),  # Traditional, after normalisation
    ("账号被盗了", False), ("账号登录不了", False), ("被限制发言了", False), ("账号被封？专业解封", True),
])
def test_names_platform_penalty(text, named):
    from feedback_nlp.tasks.severity import names_platform_penalty
    from feedback_nlp.text import normalize

    assert names_platform_penalty(normalize(text)) is named


def test_combined_high_rules_are_floors():
    from feedback_nlp.tasks.severity import decide_severity_combined
    from feedback_nlp.text import normalize

    for text in ("这是假货", "联系了三次客服都没解决", "商家拒绝退款", "再不处理我就投诉"):
        level, _, _ = decide_severity_combined(np.array([0.9, 0.05, 0.03, 0.02]),
                                               escalation_signals(normalize(text)), TH)
        assert level == "high", text


def test_every_rule_alternative_starts_with_a_literal():
    # Python's regex engine skips ahead to the characters a pattern can start with only when every top-level
    # alternative starts with one: a leading group or lookbehind ("(?:手|脚)…", "(?<!心)受伤") made
    # escalation_signals five times slower. Use tasks.severity._each, and put a lookbehind after its word.
    try:
        from re import _constants as sre_constants, _parser as sre_parse
    except ImportError:  # Python < 3.11
        import sre_constants
        import sre_parse
    from feedback_nlp.tasks.severity import ESCALATION_RULES

    for rule in ESCALATION_RULES:
        tree = list(sre_parse.parse(rule.pattern.pattern))
        alternatives = tree[0][1][1] if len(tree) == 1 and tree[0][0] == sre_constants.BRANCH else [tree]
        for alt in alternatives:
            assert list(alt) and list(alt)[0][0] in (sre_constants.LITERAL, sre_constants.IN), (rule.reason, alt)
