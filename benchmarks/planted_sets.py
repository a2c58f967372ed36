"""Planted problems: sets of 20 differently worded complaints about one problem each, written here.

Kinds kept apart so that no setting is chosen on what is reported:

- ``REPORTED``: the benchmark's sets (``bench_cluster.py``): the charger set of
  ``tests/test_cluster.py`` plus ``PLANTED_EARBUD`` and ``PLANTED_WASHER``. Reported, never used
  to choose a setting.
- ``SELECTION``: three more sets (screen defects, soup spilled in delivery, hotel air
  conditioning), written for choosing settings (``training/tune_semantic_encoder.py`` reports
  them next to the dev ARI). They are mixed into corpus reviews of the TRAIN split.
- ``HOLDOUT`` and ``NEW``: read once per encoder version (``bench_cluster.py --planted-sets
  holdout`` / ``new``), never used to choose a setting; ``NEW`` are problems the background
  reviews never mention.
- ``SELECTION_NEW`` and ``NEW2``: new problems to choose a setting on
  (``training/ngram_mix_probe.py``) and fresh ones to check it with (``--planted-sets new2``), both
  written before any setting was tried on them.
- ``NEW3``: six more new problems (fifth session), written blind to any encoder's output; read once per
  encoder (``--planted-sets new3``), never used to choose a setting.

Each set is one problem that a clustering should find as one group among thousands of other
negative reviews, however it is worded.
"""
from __future__ import annotations

#: One earbud silent: different words for ear, sound and silence, few shared characters.
PLANTED_EARBUD = [
    "蓝牙耳机左边那只完全没有声音", "左耳机不响，右边正常", "戴上以后只有右耳能听到，左耳静音",
    "耳塞左侧无声，连了好几次都一样", "左声道坏了，听歌只剩一边", "两个耳机只有一个出声",
    "左边的耳朵听不到任何音乐", "单边有声音，另一只哑了", "用了三天左耳就没声了",
    "左侧耳机失灵，放什么都听不见", "配对成功但是左边不发声", "只能单耳听，左耳那个废了",
    "耳机一边响一边不响，质量太差", "左耳塞突然不出声音了", "左边哑火，右边还好",
    "音乐只从右边出来，左边没动静", "左耳机连接上了却没有音频", "刚买的耳机左边就坏了，没声音",
    "听歌时左耳一片安静", "左侧听筒无声，客服让我重启也没用",
]
#: Washing machine leaking: 漏 / 渗 / 淌 / 滴 / 冒 / 溢 / 积水, machine named in several ways.
PLANTED_WASHER = [
    "洗衣机底下漏水，地上全湿了", "洗衣服的时候机器下面淌水", "滚筒一转就往外渗水",
    "每次洗完卫生间地面一滩水", "排水管接口处滴水不止", "机器侧面往外冒水，吓死人",
    "用了一周发现洗衣机会渗漏", "洗涤过程中水从门缝流出来", "洗衣机密封不好，水漏得到处都是",
    "刚装好的洗衣机就漏水", "脱水时底部有水流出", "进水管那里一直在滴",
    "洗一次衣服要拖一次地，全是漏出来的水", "门封圈漏水，地板泡了", "洗衣机下面湿漉漉的，应该是哪里漏了",
    "转起来水就溢出来了", "放水的时候底座渗水", "机器漏水严重，师傅来了也没修好",
    "地上总有积水，是洗衣机漏的", "洗衣机往外渗水，阳台都淹了",
]

#: Screen defects: 亮点 / 坏点 / 死点 / 黑点 / 竖线 / 漏光, several devices.
PLANTED_SCREEN = [
    "屏幕上有一个亮点，一直在那里", "显示屏有坏点，白色背景下特别明显", "新买的显示器右下角有个死点",
    "屏幕中间有个小黑点，擦不掉", "开机就发现屏上有亮斑", "液晶屏有两个坏点，看着很难受",
    "屏幕边缘一条竖线，显示不正常", "收到的平板屏幕有白点", "看视频时总有一个像素点不亮",
    "屏上一个红色的点一直亮着", "显示器有暗点，客服说三个以内不算", "屏幕左上角出现一块阴影",
    "面板有瑕疵，一个点常亮", "刚拆封屏幕就有坏点，太失望", "电脑屏幕有个小亮点，全黑时很刺眼",
    "屏幕上出现一条彩色细线", "手机屏有个绿点，重启也没用", "显示有问题，有块区域发黄",
    "屏幕亮度不均，下边漏光", "屏幕上那个坏点越来越大了",
]
#: Soup spilled in delivery: 洒 / 漏 / 撒 / 流 / 渗 / 溢.
PLANTED_SOUP = [
    "汤全洒了，袋子里都是", "送到的时候汤漏了一半", "包装没封好，汤汁流得到处都是",
    "打开外卖袋全是汤，饭都泡了", "汤撒在袋子里，米饭湿透了", "盖子没盖紧，汤都漏光了",
    "粥洒出来了，只剩半碗", "骑手送来时汤水淋漓", "外卖到手汤已经洒了一大半",
    "餐盒漏汤，衣服都弄脏了", "麻辣烫的汤全流出来了", "汤碗裂了，汁水全漏",
    "拿到手袋子底下一层油汤", "包装太差，汤汁渗出来", "面的汤全撒了，只能吃干面",
    "送来的汤少了一半，都洒在路上了", "汤漏得满袋都是，没法吃", "密封不严，汤汁四溢",
    "酸辣粉的汤洒了，太影响心情", "外卖袋湿漉漉的，汤全漏了",
]
#: Hotel air conditioning not cooling: 不制冷 / 不凉 / 热风 / 降不下来.
PLANTED_AIRCON = [
    "房间空调不制冷，热得睡不着", "空调开了一晚上还是闷热", "冷气根本不凉，吹的都是热风",
    "空调坏了，前台说修不了", "房间温度降不下来，空调形同虚设", "空调只出风不出冷气",
    "开到16度房间还是很热", "空调制冷效果极差", "空调噪音大而且不冷",
    "夏天住这里简直受罪，空调不给力", "冷气太弱，热了一整夜", "房间空调失灵，换房也一样",
    "中央空调不凉，根本调不了温度", "空调吹出来是温的", "空调一直不制冷，投诉也没人管",
    "热死了，空调像没开一样", "空调制冷不行，房间里闷得慌", "屋里的空调不工作",
    "空调不降温，只好开窗睡", "酒店空调太差，一点凉意都没有",
]

SELECTION = {"screen": PLANTED_SCREEN, "soup": PLANTED_SOUP, "aircon": PLANTED_AIRCON}


#: Holdout sets, written on 2026-12-05 after semantic 1.2.0 was fixed, because the reported sets had
#: been looked at for two settings. Read with ``bench_cluster.py --planted-sets holdout``, once per
#: encoder version; never used to choose a setting.
#: Battery draining fast: 耗电 / 掉电 / 续航 / 待机 / 电量, several devices.
HOLDOUT_BATTERY = [
    "手机电池特别不耐用，半天就没电了", "充满电用不到一上午", "续航太差，一天要充三次", "待机一晚上掉了百分之三十",
    "电量下降得飞快，玩一会儿游戏就关机", "平板电池不行，看两集电视剧就没电了", "耗电快得离谱，刚买的新机",
    "电池掉电严重，早上满格中午就红了", "手表续航只有一天，说好的一周呢", "笔记本电池撑不了一个小时",
    "什么都没开，电量自己往下掉", "电池不经用，出门必须带充电宝", "用了两周续航明显变短",
    "电量百分比跳得很快，八十直接到二十", "蓝牙耳机充满只能听一小时", "这手机太费电了，根本撑不到晚上",
    "电池容量虚标，实际用起来很快没电", "待机时间短得可怜", "刚充的电，拍几张照片就剩一半", "续航跟宣传差太远，很快就没电",
]
#: Hair in the food: 头发 / 毛发 / 发丝, dish named in several ways.
HOLDOUT_HAIR = [
    "饭里吃出一根头发，太恶心了", "菜里面有根长头发", "汤里漂着一根头发，直接倒了", "米饭里夹着头发丝",
    "吃着吃着发现一根毛发", "面条里缠着一根头发", "炒饭里有好几根头发", "打开盒饭第一眼就看到头发",
    "披萨上粘着一根头发", "粥里捞出来一根长发", "咬到一根头发，恶心得吃不下了", "沙拉里有根卷曲的毛发",
    "饺子馅里包着头发", "这家的菜里总有头发，卫生太差", "麻辣烫里吃出头发丝", "汉堡里夹着一根黑头发",
    "外卖里面竟然有头发", "吃到一半发现碗底有头发", "肉片上粘着头发，后厨太脏了", "奶茶里有根头发",
]
#: Signed for but never received: 签收 / 送达 / 没收到, several carriers and places.
HOLDOUT_SIGNED = [
    "物流显示已签收，我根本没拿到", "快递被别人签收了，我没收到", "显示已送达，可家里什么都没有",
    "签收人不是我，包裹不知道去哪了", "明明没收到货却显示签收", "快递员说放门口了，我回家没看到",
    "系统说已经投递到快递柜，我没收到取件码", "订单显示签收三天了，东西一直没见着", "快递说送到了，前台说没有",
    "没人通知我，就显示已签收", "包裹显示妥投，其实根本没送", "我一直在家，却显示本人签收",
    "代收点说没有我的件，物流却是已签收", "东西没到手，状态已经是已完成", "显示小区门卫签收，门卫说没见过",
    "快递记录写着已签收，联系快递员也不回", "收货人签字不是我的名字", "说放驿站了，驿站查不到这个件",
    "物流信息已签收，包裹不翼而飞", "货没收到就确认收货了",
]
HOLDOUT = {"battery": HOLDOUT_BATTERY, "hair": HOLDOUT_HAIR, "signed": HOLDOUT_SIGNED}

#: New-problem holdout sets, written on 2026-12-05 (second session) after semantic 1.2.0 was fixed and
#: before any encoder read them. Two of the first holdout sets (battery, signed for) are problems the
#: background reviews also hold, so a cluster of them with real same-problem reviews counts as impure;
#: the issue's planted problem is a *new* one. For each set below, none of its product words occurs in
#: the 7,068 negative dev/test reviews the benchmark mixes them into (行李箱 once, in a hotel review
#: about something else; 轮子, 万向轮, 拉杆箱, 猫粮, 宠物, 扫地机, 充电座: none), checked by
#: substring count before the first read. Read with ``bench_cluster.py --planted-sets new``, once per
#: encoder version; never used to choose a setting.
#: Suitcase wheel broken or fallen off: 轮子 / 万向轮 / 滑轮 / 脚轮, the case named in several ways.
NEW_SUITCASE = [
    "行李箱的轮子第一次出门就掉了一个", "拉杆箱万向轮断了，只能拖着走", "旅行箱滑轮坏了，在机场一路拎着",
    "箱子底下的轮子卡住不转", "刚用两次，登机箱一个脚轮裂开了", "轮子和箱体连接处断掉了",
    "拖着走了几百米，轮子就歪了", "托运回来发现箱子少了个轮子", "万向轮转不动，推起来特别费劲",
    "滚轮磨损得太快，走路咔咔响", "二十寸的箱子，轮子一碰台阶就掉", "买的拉杆箱轮子质量太差，直接碎了",
    "箱包的轮毂开裂，已经没法推了", "出差第一天旅行箱就瘸了，一个轮子飞了", "轮轴断了，箱子只能扛着",
    "箱子的四个轮有一个不着地", "行李箱走起来一直跑偏，轮子松了", "小轮子塑料太脆，轻轻一磕就坏",
    "箱子拖行的时候轮子脱落", "这个箱子的轮子用了一个月就报废了",
]
#: Pet food made the pet sick: 猫粮 / 狗粮 / 罐头 / 冻干; 吐 / 拉稀 / 软便.
NEW_PETFOOD = [
    "猫吃了这个猫粮就开始吐", "狗粮换成这款以后狗狗一直拉稀", "主子吃了两天罐头，软便不止",
    "家里的猫吃完这包粮上吐下泻", "喂了冻干以后小猫呕吐了好几次", "狗吃了你们家的粮拉肚子，带去看了兽医",
    "新买的猫粮，两只猫吃完都吐了", "这批狗粮有问题，狗吃了精神不好还腹泻", "给猫换了这个牌子的粮，便便都不成形",
    "宠物吃了之后呕吐，粮有一股怪味", "喵星人吃了这款罐头就吐毛球一样吐了一地", "狗狗吃完这个零食就一直吐",
    "猫咪吃了这粮后腹泻三天", "吃了三天这个粮，猫开始拉水样便", "粮里好像有霉点，猫吃了以后吐了",
    "幼犬吃了这狗粮肠胃不适，一直吐", "猫一吃这个鱼肉罐头就呕", "宠物粮让我家狗拉了一晚上",
    "给猫吃了半袋，现在天天软便", "这款主粮我家两只狗吃了都吐黄水",
]
#: Robot vacuum cannot find its dock: 回充 / 充电座 / 基站 / 找不到家.
NEW_ROBOT = [
    "扫地机器人扫完找不到充电座", "扫地机回充总是失败，停在半路没电", "机器人每次都回不了基站",
    "打扫完它在客厅转圈，就是不回家", "扫拖一体机回不去充电桩", "扫地机经常找不到座子，只能我抱回去",
    "回充功能基本没用，十次有八次失败", "机器人扫到一半没电了，没自己回去充电", "它离充电座一米远就是对不准",
    "每天回来都看到扫地机趴在沙发底下没电", "基站就在墙边，机器人偏偏找不到", "扫地机自动回充不灵，一直撞墙",
    "扫完地不回座充电，电量耗光停在卧室", "对接充电座要试好多次才成功", "扫地机器人迷路了，回不到充电的地方",
    "机器回桩失败，手机上提示找不到基站", "它总在充电座前面来回晃，就是上不去", "清扫结束后机器人停在原地不返回",
    "扫地机的回充定位很差", "这个扫地机连自己的家都找不到",
]
NEW = {"suitcase": NEW_SUITCASE, "petfood": NEW_PETFOOD, "robot": NEW_ROBOT}

#: For the tuning round of ``training/ngram_mix_probe.py``, written on 2026-12-05 (third session)
#: before any setting was tried on them. The selection sets above are all problems the training reviews hold, so
#: they cannot reward what a new problem needs; these three are new problems to choose a setting on
#: (mixed into negative *train* reviews, as the tuner mixes SELECTION). Their product words, counted
#: in the negative train reviews before writing: 空气炸锅 0, 链条 0, 鱼缸 2, 氧气泵 0 (涂层 2, 掉漆 14).
#: Air fryer coating peeling: 涂层 / 不粘层 / 掉皮 / 脱落.
SELECTION_NEW_AIRFRYER = [
    "空气炸锅的涂层用了一个月就掉了", "炸篮的不粘层一块一块往下脱", "锅里面起皮了，掉下来的渣混在食物里",
    "炸锅内胆的黑色涂层剥落，不敢再用", "才用几次不粘涂层就刮花脱落了", "炸篮边上掉漆，露出里面的金属",
    "烤出来的薯条上沾着涂层碎片", "内锅表面鼓包，一碰就掉皮", "空气炸锅涂层质量太差，洗一次掉一点",
    "炸篮底部的涂层全磨没了", "这个锅的不粘层根本不耐用，斑斑驳驳", "用软布洗的，涂层还是起泡脱落",
    "空气炸锅用了三周，内壁开始掉黑渣", "炸篮上的涂层成片掉，担心吃进肚子", "锅底涂层裂开了，食物开始粘锅",
    "炸锅内胆掉涂层，客服说是正常损耗", "烤盘表层剥落，露出铝的颜色", "每次做完饭都能看到掉下来的涂层屑",
    "才买的炸锅，篮子里的涂层就翘起来了", "空气炸锅的内胆涂层脱皮严重",
]
#: Bicycle chain keeps coming off: 链条 / 掉链 / 脱链.
SELECTION_NEW_CHAIN = [
    "自行车骑几步链条就掉", "刚买的山地车老是掉链子", "变速的时候链条直接脱落",
    "骑上坡用力一蹬链子就掉了", "单车链条太松，一天掉好几次", "链子总从齿轮上滑下来",
    "换挡就脱链，根本没法正常骑", "车子的链条装得不对，骑着骑着就掉", "每次骑到一半都要下来挂链条",
    "链条和飞轮不匹配，总是脱出来", "孩子的自行车链子三天两头掉", "踩快一点链条就掉下来，很危险",
    "自行车链条老是脱落，弄得满手油", "链子一直跳齿，最后直接掉了", "骑了不到十公里就掉了三次链",
    "折叠车的链条动不动就掉", "新车的链条一碰坑就脱", "车链子容易滑落，修了也没用",
    "大盘换小盘的时候链条掉出来", "这辆车的链条怎么调都会掉",
]
#: Fish-tank air pump too loud: 氧气泵 / 气泵 / 打氧机; 噪音 / 嗡嗡 / 吵.
SELECTION_NEW_PUMP = [
    "鱼缸的氧气泵噪音太大了", "打氧机嗡嗡响，晚上吵得睡不着", "气泵一开整个房间都是嗡嗡声",
    "这个增氧泵声音像拖拉机", "鱼缸打氧的声音太吵，放在卧室受不了", "氧气泵震动得厉害，柜子都跟着响",
    "买的静音气泵一点也不静音", "打氧泵用了一周声音越来越大", "晚上关灯后气泵的嗡嗡声特别明显",
    "水族箱的充氧泵吵死人", "氧气泵放哪儿都有很大的噪声", "鱼缸气泵一直发出嗡嗡的蜂鸣",
    "增氧机声音太响，家人都抱怨", "说好的超静音，结果打氧机吵得要命", "气泵工作时咔咔响还带震动",
    "小鱼缸配的氧气泵噪音比电视还大", "打氧泵的声音隔着门都能听见", "这台气泵嗡嗡个不停，只好晚上关掉",
    "氧气泵垫了海绵也还是吵", "鱼缸的增氧泵太吵了，影响休息",
]
SELECTION_NEW = {"airfryer": SELECTION_NEW_AIRFRYER, "chain": SELECTION_NEW_CHAIN, "pump": SELECTION_NEW_PUMP}

#: Fresh new-problem holdout sets, written on 2026-12-05 (third session) together with SELECTION_NEW,
#: before any setting was tried: the check for a setting chosen on SELECTION_NEW, read once per
#: encoder (``bench_cluster.py --planted-sets new2``). Product words in
#: the 7,068 negative dev/test reviews, counted before writing: 卡纸 0, 打印机 1, 表带 1, 表扣 0, 车载 0,
#: 吸盘 0, 支架 1.
#: Printer jams: 卡纸 / 进纸 / 夹纸.
NEW2_PRINTER = [
    "打印机老是卡纸", "打印到第二页纸就卡住了", "进纸的时候总是歪着卡在里面",
    "每打几张就夹纸，要拆开才能取出来", "打印机吞纸，一次进好几张然后卡死", "纸卡在出纸口，扯都扯不出来",
    "新买的打印机频繁卡纸，效率太低", "打双面的时候纸张卡在机器里", "用的是原装纸还是一直卡纸",
    "打印中途提示卡纸，打开又看不到纸", "送纸器不顺，纸总是皱着卡住", "每天都要处理好几次卡纸",
    "喷墨打印机进纸困难，纸卡一半", "打印机把纸卷进去就不动了", "复印的时候纸张堵在滚轮那里",
    "卡纸灯一直亮，清理了也没用", "打个合同卡了三次纸", "机器进纸口吃纸，老是卡",
    "激光打印机卡纸卡得我崩溃", "这台打印机隔三差五就卡纸",
]
#: Watch strap breaks: 表带 / 表扣 / 腕带; 断 / 裂 / 脱.
NEW2_STRAP = [
    "手表的表带戴了半个月就断了", "表扣那里裂开了，表差点掉地上", "智能手环的腕带一拉就断",
    "表带和表身连接处断裂", "硅胶表带戴着戴着就裂口了", "表带的扣子松脱，手表掉了",
    "运动的时候腕带突然断开", "表带质量太差，没用多久就断成两截", "表扣老是自己弹开",
    "皮表带开裂，边缘都起皮了", "手环的带子连接轴断了", "洗手时表带扣脱落，手表掉进水池",
    "戴了一周表带就出现裂纹", "表带卡扣坏了，根本扣不住", "跑步时手表带断了，表摔坏了",
    "腕带太脆，轻轻一弯就折断", "新换的表带第二天就断了", "表带孔那里撕裂了",
    "表带接口处的塑料断掉", "这个表的带子很容易断",
]
#: Phone car mount falls off: 车载支架 / 手机支架 / 吸盘 / 出风口夹.
NEW2_MOUNT = [
    "车载手机支架开车时掉下来", "吸盘吸不住，支架老往下掉", "出风口支架夹不紧，过个坎手机就飞了",
    "手机支架用了两天就松了，手机滑落", "车上的吸盘支架夏天一晒就脱落", "导航时支架突然掉了，吓一跳",
    "支架夹子太松，手机一直往下滑", "车载支架的吸盘粘不住挡风玻璃", "过减速带手机连同支架一起掉",
    "出风口的卡扣断了，支架挂不住", "磁吸支架吸力太弱，手机掉到脚下", "手机支架装上去没多久就歪了掉下来",
    "开车时手机从支架上摔下来", "这个支架的吸盘一晚上就掉", "支架底座老是脱开",
    "车载支架稳不住，转弯就掉", "支架夹手机的臂松了，夹不住", "吸盘式支架天冷就吸不牢",
    "手机支架用着用着就从仪表台上滑下来", "买的车载支架根本固定不住手机",
]
NEW2 = {"printer": NEW2_PRINTER, "strap": NEW2_STRAP, "mount": NEW2_MOUNT}


def holdout() -> dict[str, list[str]]:
    """The holdout sets (see :data:`HOLDOUT`)."""
    return dict(HOLDOUT)


def new_problems() -> dict[str, list[str]]:
    """The new-problem holdout sets (see :data:`NEW`)."""
    return dict(NEW)


def reported() -> dict[str, list[str]]:
    """The benchmark's sets (the charger set lives in tests/test_cluster.py)."""
    from test_cluster import PLANTED

    return {"charger (tests)": PLANTED, "earbud": PLANTED_EARBUD, "washer": PLANTED_WASHER}


def best_cluster(labels, positions) -> tuple[int, int]:
    """(planted texts in the cluster holding most of them, that cluster's size); (0, 0) if none is clustered."""
    from collections import Counter

    c = Counter(labels[i] for i in positions if labels[i] is not None)
    if not c:
        return 0, 0
    best, n = c.most_common(1)[0]
    return n, sum(1 for x in labels if x == best)


#: Third new-problem holdout sets, written on 2026-12-05 (fifth session) by a writer who saw no encoder's output
#: and ran no clustering on them. Read once per encoder with ``bench_cluster.py --planted-sets new3``; never used
#: to choose a setting. Product words in the 7,068 negative dev/test reviews, counted by substring before
#: finalising: 雨伞 0, 伞骨 0, 骨架 0, 折叠伞 0 (伞 alone 3); 加湿器 0, 加湿 0, 出雾 0, 雾量 0, 增湿 0, 水汽 0
#: (雾 alone 3); 积木 0, 零件 1, 缺件 0, 拼装 0, 拼插 0, 颗粒 2; 冰淇淋 0, 冰激凌 2, 雪糕 1, 甜筒 0, 融化 0,
#: 化了 2; 门票 1, 检票 0, 闸机 0, 入园 0, 验票 0, 电子票 0, 核验 0; 续费 0, 自动续费 0, 连续包月 0, 包月 1,
#: 订阅 0, 续订 2, 扣费 0, 扣款 2, VIP 0 (会员, in 28, is left out of the texts; 自动, in 52, is in 5).
#: Umbrella ribs break or bend in the wind: 伞骨 / 骨架 / 支架; 断 / 折 / 弯 / 翻 / 散架.
NEW3_UMBRELLA = [
    "雨伞一刮风伞骨就断了", "风稍微大一点，伞就被吹翻了，骨架折了两根", "折叠伞用了不到一周，有根伞骨弯了撑不开",
    "下雨天刚打开，伞架子就咔嚓一声断了", "伞骨太细太软，风一吹全反过来", "买的自动伞，第二次用就有一根骨架断掉",
    "晴雨伞的支架是塑料接头，一使劲就裂", "台风天撑了五分钟，这把伞就废了，骨架全歪，回家一看有四根都弯成了直角",
    "伞面没事，里面的钢骨断成两截", "在公交站等车，一阵风把伞掀翻，三根伞骨都断了", "遮阳伞撑开时骨节处直接崩开",
    "长柄伞的伞骨连接处松脱，伞布塌下来一块", "说是防风伞，结果中等的风就折了", "雨伞骨架质量太差，用两次就变形",
    "撑伞走了一段路，伞骨刺穿了伞布", "收伞时一根支撑杆卡住，一掰就断了", "支撑的骨条全弯了，伞合都合不上",
    "小伞风一来就散架", "三折伞的关节处断裂，伞面耷拉下来", "客服说伞骨断了不在保修范围内，这质量谁敢买",
]
#: Humidifier gives no mist: 不出雾 / 不喷雾 / 不冒雾 / 雾量小 / 没有水汽.
NEW3_HUMIDIFIER = [
    "加湿器加满水了却不出雾", "灯亮着，一点雾都不喷", "加湿器用了三天就不冒白气了", "水箱是满的，出雾口没有任何水汽",
    "买的超声波加湿器，雾量越来越小，现在完全没雾", "调到最大档也只有一丝丝雾气",
    "卧室放了台增湿器，开一晚上屋里还是干的，根本没喷出水雾", "机器嗡嗡响但是不出雾，换了水也不行",
    "雾化片好像坏了，这加湿机彻底不工作了", "刚拆箱的增湿机就不喷雾，客服让我清洗一下，洗了还是没用",
    "出雾量小得可怜，凑近才能看到一点", "香薰加湿一体机只亮灯，不出水汽", "半个月就不冒雾了",
    "给宝宝房间买的，加湿效果为零，雾都喷不出来", "桌面迷你加湿器插上电没有雾，换了几个USB口都一样",
    "冬天开暖气太干，买了这个结果不出雾，白买了", "早上起来发现它一整夜都没出雾，水箱里的水一点没少",
    "雾化头坏了，水箱有水却喷不出气", "出雾时有时无，拍一下才出一点", "这台加湿机不冒雾，退货还要我出运费",
]
#: Building-block set missing pieces: 积木 / 拼装 / 拼插 / 模型; 缺件 / 少零件 / 少了几块.
NEW3_BLOCKS = [
    "积木拼到一半发现少了好几块", "买的拼装玩具缺件，车轮那几个零件没有", "这套拼插积木少了一整包小颗粒",
    "孩子照着图纸拼，最后差三个小块", "拼装零件数量对不上，缺了好几个", "城堡模型少了两片墙板，拼不起来",
    "打开盒子数了一下，拼插小块少了七八个", "拼了一晚上，到最后一步缺一个关键部件", "积木缺件，联系客服说要拍照一个一个核对",
    "包装里的小零件袋漏装了一袋", "给儿子的生日礼物，拼到最后缺了好几块，孩子哭了", "图纸上标的数量和实际不符，少了十几颗",
    "拼好的飞机模型少了一个螺旋桨配件", "这套积木少零件，拼出来缺了个门", "小颗粒少了好多，有几个编号的袋子是空的",
    "拼插玩具不齐全，缺的那几块正好是底座", "拼装机器人缺件，手臂装不上去", "补件要等半个月，这么大一套积木居然漏发零件",
    "少件严重，一盒积木缺了二十多个", "积木缺了三块",
]
#: Ice cream melted in delivery: 冰淇淋 / 冰激凌 / 雪糕 / 甜筒 / 圣代; 化了 / 融化 / 化成水.
NEW3_ICECREAM = [
    "冰淇淋送到的时候已经化成水了", "雪糕到手全化了", "甜筒送来只剩一个蛋卷，上面的冰都化没了",
    "骑手路上耽误太久，冰激凌融化得一塌糊涂", "打开袋子一摊奶油水，冰淇淋全融了", "没有放冰袋，冰品送到已经变成奶昔",
    "外卖的冰淇淋化得黏糊糊的，盒子外面全是", "圣代融成一杯奶，顶上的酱都沉底了", "夏天点冰棒外送，拿到手里都软了往下滴",
    "三十度的天，冰淇淋球送到时只剩一滩", "商家连个冰袋都不放，雪糕全化了", "刨冰送到只剩一碗糖水",
    "挖球的冰激凌化成一团，看不出形状", "等了五十分钟，冰激凌早就化了，客服只退了两块钱", "杯装冰淇淋送到是液体，完全没法吃",
    "冷饮送过来都化开了，包装袋湿透", "买了一盒雪糕，送到时一根根都软趴趴的", "冰淇淋在路上化了大半，只能当饮料喝",
    "冰淇淋到手已经化了，跟骑手说他说天太热没办法", "点了两支甜筒，到的时候融得只剩一半",
]
#: Attraction ticket booked online not accepted at the gate: 门票 / 电子票 / 入园码; 闸机 / 检票 / 核验.
NEW3_TICKET = [
    "网上买的门票到了门口刷不进去", "游乐园闸机扫我的电子票一直提示无效", "提前订好的入园票，检票员说查不到订单",
    "排了一个小时队，到闸机口票码不识别", "在平台上付了钱，检票时却说还没出票", "买的是当天的票，入口的机器说已经被用过了",
    "动物园的电子门票核验失败，只能在窗口重新买一张", "在公园入口身份证刷不开闸门，工作人员说订单没同步",
    "带孩子去水上乐园，买好的票进不了门", "订的两日联票第二天验不了，被拦在外面", "门票显示预订成功，到现场说没有这个人的票",
    "入园码扫不出来", "客服说出票需要时间，可我们已经在大门口等了半小时", "海洋馆门口验票失败，票钱也不给退",
    "手机上的票在检票口扫不出来，只能重新买", "通过旅游平台订的票，园区根本不认", "一家四口的门票只有两张能过闸",
    "买了早鸟票，入口处说这种票不能用", "博物馆预约的参观票进门时核验不通过",
    "票明明买了，检票系统里却没有记录，开车两小时过去白跑一趟",
]
#: Subscription renewed and charged without notice: 续费 / 连续包月 / 订阅 / 续订; 扣费 / 扣钱.
NEW3_RENEWAL = [
    "开了一个月的VIP，第二个月自动扣了钱", "悄悄给我续费了", "首月一块钱开通，之后每月默默扣二十五",
    "明明关掉了连续包月，这个月还是被扣费", "银行卡突然少了一笔钱，一查是这个软件的订阅自动续上了",
    "自动续费的开关藏得很深，找了半天才关掉", "试用期结束不通知，直接从支付宝划走年费", "我只想买一个月，结果默认勾选了续订",
    "APP偷偷续费，扣款短信来了我才知道", "取消订阅后又被扣了一次钱，客服说已经生效不能退",
    "这个软件的包月服务到期自己续上了，一分钱都不退", "免费体验七天，第八天直接扣了年卡的钱",
    "微信里发现每个月都被扣十五块，是之前开的连续包月", "续费前没有短信也没有弹窗提醒",
    "免密代扣的解约入口找不到，每个月照样扣费", "关闭了免密支付，还是被续订扣了钱", "开过一次超级VIP，之后每年自动续费三百多",
    "自动扣费太坑了，我都卸载软件半年了还在扣", "听歌软件的包年到期后又续了一年，没问过我",
    "要求退还续订扣掉的费用，客服一直推脱",
]
NEW3 = {
    "umbrella": NEW3_UMBRELLA, "humidifier": NEW3_HUMIDIFIER, "blocks": NEW3_BLOCKS,
    "icecream": NEW3_ICECREAM, "ticket": NEW3_TICKET, "renewal": NEW3_RENEWAL,
}
