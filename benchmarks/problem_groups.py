"""Grouping of near-synonymous annotated ``problem`` names before ARI/AMI (the rule, written out).

The annotators named problems freely, so one problem carries several names (假货 / 疑似假货,
分量少 / 分量不足, 味道差 / 口味差 / 菜品难吃). Scoring clusters against raw names would punish
a representation for putting paraphrases together, which is what it is for. The rule:

1. ``SYNONYMS`` below: hand-made groups, written from the list of names that occur at least
   about seven times over the train/dev/test annotations (by reading the names only, not the
   clusters of any encoder). Every name in a group maps to the group's first name.
2. All other names stay as they are (exact match only; no similarity threshold, so nothing is
   tuned to any encoder).

It is used identically for every representation, on train problems (threshold choice) and on
dev+test problems (the reported figures).
"""
from __future__ import annotations

SYNONYMS: list[list[str]] = [
    ["送餐超时", "送餐慢", "配送超时", "配送慢", "订单未送达", "未送达"],
    ["快递太慢", "发货慢", "物流慢", "物流停滞", "快递慢"],
    ["设施陈旧", "房间陈旧", "设施简陋", "设施差", "房间设施差", "硬件设施差", "酒店条件差", "设施一般",
     "设施损坏", "设施故障"],
    ["水果腐烂", "水果有坏果", "水果有烂果", "水果不新鲜", "冷链变质"],
    ["疑似假货", "假货", "疑似盗版", "疑似二手"],
    ["服务态度差", "客服态度差", "前台态度差", "前台服务差", "骑手态度差", "快递员态度差", "客服敷衍"],
    ["房间不干净", "床单不干净", "房间未打扫"],
    ["质量差", "商品质量差", "质量一般", "做工差", "做工粗糙", "衣服质量差", "酒店质量差", "水果品质差",
     "水果质量差", "面料差"],
    ["味道差", "口味差", "菜品难吃", "饭菜难吃", "口感差", "味道一般", "口味一般", "口味不好", "口味变差",
     "水果口感差", "水果难吃", "水果不甜", "味道偏淡", "口味太咸", "太油腻"],
    ["发错货", "送错餐", "送错餐品", "规格不符", "房型不符", "颜色不符"],
    ["买后降价", "先涨价后降价", "价保被拒"],
    ["与描述不符", "与图片不符", "实物与图片不符", "材质不符", "材质与描述不符", "规格与描述不符",
     "颜色与图片不符", "名不副实", "宣传夸大", "色差"],
    ["分量不足", "分量少", "分量太少", "份量少", "数量不足", "用料不足", "缺斤少两", "重量不足"],
    ["赠品未送", "赠品未发", "赠品未收到"],
    ["退款不到账", "退款成功未到账", "退款处理慢", "充值未到账"],
    ["电池续航短"],
    ["隔音差", "房间隔音差", "噪音大", "房间噪音大", "环境嘈杂", "空调噪音大"],
    ["餐品洒漏", "包装漏洒", "包装漏液", "商品漏液"],
    ["账号被盗", "异地登录"],
    ["重复扣款", "未授权扣款", "自动续费扣款", "扣款订单失败", "汇率扣款不符"],
    ["运行卡顿", "系统卡顿", "频繁死机", "APP闪退"],
    ["水果个头小", "果子太小", "水果个小", "个头小", "果子偏小"],
    ["漏送餐品", "少送餐品", "漏送菜品", "漏送物品", "漏发", "漏发货", "漏发商品", "配件缺失", "缺少配件",
     "配件不全"],
    ["房间有异味", "房间异味", "有异味", "房间有烟味", "装修异味"],
    ["房间太小", "房间小", "房间狭小"],
    ["性价比低", "价格偏高", "价格偏贵", "价格太贵"],
    ["运输破损", "包装破损", "运输损坏"],
    ["食品安全问题", "品牌食品安全", "食品安全担忧", "牛奶安全问题", "奶制品安全问题"],
    ["食物变质", "食物不新鲜", "不新鲜", "食材不新鲜"],
    ["食物有异物", "餐品有异物"],
    ["食物中毒", "吃后腹泻"],
    ["饭菜凉了", "餐品变凉"],
    ["个人信息泄露", "订单信息泄露", "信息泄露", "过度收集个人信息"],
    ["未开发票", "不开发票"],
    ["退货被拒", "拒绝退货", "退款被拒", "换货被拒", "拒绝换货", "保修被拒"],
    ["客服不回复", "客服回复慢"],
    ["冒充客服诈骗", "诈骗电话"],
    ["未收到货", "包裹丢失", "快递丢件", "显示签收未收到"],
    ["尺码不符", "尺码偏小", "尺码偏大", "尺码不准", "尺寸不符", "尺寸偏小"],
    ["书内容差", "内容空洞", "内容平淡"],
    ["房间有蟑螂", "房间有虫"],
    ["使用后头痒", "头皮发痒", "洗后头皮痒", "洗后头皮屑多"],
    ["分辨率低", "分辨率差", "屏幕不清晰"],
    ["网络差", "信号差"],
    ["衣服掉色", "掉色"],
    ["入住办理慢", "入住等待久"],
]

_CANON = {name: group[0] for group in SYNONYMS for name in group}


def canonical(name: str) -> str:
    """The group name of an annotated problem name (itself when it is in no group)."""
    return _CANON.get(name, name)
