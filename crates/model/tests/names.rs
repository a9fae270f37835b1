//! Personal names found by their content (C3): on a generated set of name columns and of the
//! columns that most often look like them, under neutral headers, the column-level decision
//! reaches recall ≥ 95 % and precision ≥ 99 %. The names are generated from surname and
//! given-name characters (Faker-style), never real people; the generator's lists are its own,
//! broader than the detector's (rare surnames the detector does not know, minority names with a
//! middle dot, placeholders such as 未填写), so the test is not the detector reading its own
//! lists back.

use model::pii::{ColumnScanner, PiiKind};
use std::collections::BTreeSet;

/// A small deterministic generator (xorshift64*), so every run sees the same set.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn pick_char(&mut self, chars: &str) -> char {
        let v: Vec<char> = chars.chars().collect();
        v[self.below(v.len())]
    }
}

/// Surnames roughly by frequency: the most common repeat, so they are drawn more often.
const FREQUENT_SURNAMES: &str = "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕";
/// Rarer surnames, some of which the detector does not list.
const RARE_SURNAMES: &str = "邰谈弓隗仉督璩桓暴荆鄢闻漆楼晋蔺燕訾揭";
const COMPOUND: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "皇甫", "慕容", "东方", "令狐",
];
/// Characters of given names.
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞辉建国文斌宇浩凯俊峰波林欣怡婷雪琳晨阳宁佳慧嘉子轩涵梓萱思雨然博睿泽瑞天一诺可晓东海江山春夏秋冬志永德福荣贵昌成龙虎凤燕莉琴珍琪倩颖瑶璐薇蕾蓉翠菊淑贞彩珠金银宝亮光辰星月青清新安康健乐喜顺利兴旺发祥和正义忠信仁礼智勤家振锋锦鑫森松柏杨柳桐楠枫彬毅哲弘泓瀚源润洁淼鸿鹤骏驰腾跃晖炜煜熙昊晟昕旭景晶曦凡帆航远达通迪逸雅婉娴妮婧媛嫣姝瑾璇瑜琦珊玲琼环蓓芬芸芹莹萌蔚茜荷菲蕊卉岚岩峻崇巍冰凌卓立元孝先向翔羽翰耀聪敬杉树朝伦仪佩俐儒允兆克全兵";
const PLACEHOLDERS: &[&str] = &["未填写", "不详", "-", "无", "张三（测试）", "N/A"];
const MINORITY: &[&str] = &[
    "买买提·艾力",
    "阿依古丽·吐尔逊",
    "扎西多吉",
    "次仁卓玛",
    "巴特尔",
];

fn person_name(r: &mut Rng) -> String {
    let mut name = String::new();
    if r.chance(0.03) {
        name.push_str(r.pick(COMPOUND));
    } else if r.chance(0.03) {
        name.push(r.pick_char(RARE_SURNAMES));
    } else {
        name.push(r.pick_char(FREQUENT_SURNAMES));
    }
    let given = if r.chance(0.3) { 1 } else { 2 };
    for _ in 0..given {
        name.push(r.pick_char(GIVEN));
    }
    name
}

/// A column of names as a register holds them: mostly names, some empty cells, a few
/// placeholders and minority names.
fn name_column(r: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            if r.chance(0.05) {
                String::new()
            } else if r.chance(0.02) {
                r.pick(PLACEHOLDERS).to_string()
            } else if r.chance(0.02) {
                r.pick(MINORITY).to_string()
            } else {
                person_name(r)
            }
        })
        .collect()
}

const PLACE_HEADS: &[&str] = &[
    "西湖",
    "上城",
    "拱墅",
    "滨江",
    "萧山",
    "余杭",
    "临平",
    "钱塘",
    "富阳",
    "临安",
    "桐庐",
    "淳安",
    "建德",
    "海曙",
    "江北",
    "鄞州",
    "黄浦",
    "徐汇",
    "长宁",
    "静安",
    "普陀",
    "虹口",
    "杨浦",
    "闵行",
    "宝山",
    "嘉定",
    "浦东",
    "金山",
    "松江",
    "青浦",
    "奉贤",
    "崇明",
    "朝阳",
    "海淀",
    "丰台",
    "通州",
    "顺义",
    "昌平",
    "大兴",
    "怀柔",
    "平谷",
    "密云",
    "延庆",
    "天河",
    "越秀",
    "荔湾",
    "海珠",
    "白云",
    "番禺",
    "花都",
    "南沙",
    "从化",
    "增城",
    "罗湖",
    "福田",
    "南山",
    "宝安",
    "龙岗",
    "盐田",
    "龙华",
    "坪山",
    "光明",
    "文三",
    "文一",
    "天目山",
    "曙光",
    "保俶",
    "马塍",
    "黄姑山",
    "凤起",
    "武林",
    "庆春",
    "解放",
    "中山",
    "延安",
    "建国",
    "石桥",
    "古墩",
    "丰潭",
    "莫干山",
    "李家",
    "王家",
    "张家",
    "陈家",
    "周家",
    "高家",
    "金家",
    "石塘",
    "丁桥",
    "杨柳",
];
const PLACE_TAILS: &[&str] = &[
    "区", "县", "市", "路", "街", "大道", "巷", "弄", "村", "镇", "乡", "新村", "小区", "广场",
];
const ORGS: &[&str] = &[
    "公安局",
    "财政局",
    "教育局",
    "卫健委",
    "发改委",
    "人社局",
    "民政局",
    "市场监管局",
    "城管局",
    "交通运输局",
    "司法局",
    "审计局",
    "统计局",
    "税务局",
    "住建局",
    "水利局",
    "商务局",
    "文旅局",
    "林业局",
    "应急局",
    "医保局",
    "信访局",
    "数据局",
    "政务服务中心",
    "数据中心",
    "体检中心",
    "金桥中心",
    "华数集团",
    "杭州银行",
    "宁波银行",
    "龙湖花园",
    "万科集团",
];
const PRODUCTS: &[&str] = &[
    "黄瓜",
    "白菜",
    "金针菇",
    "牛奶",
    "牛肉",
    "马铃薯",
    "冬瓜",
    "南瓜",
    "西瓜",
    "石榴",
    "杨梅",
    "胡萝卜",
    "胡椒",
    "花生",
    "芝麻",
    "高粱",
    "毛豆",
    "柴油",
    "汽油",
    "钢材",
    "水泥",
    "龙虾",
    "鲍鱼",
    "苹果",
    "香蕉",
    "葡萄",
    "茄子",
    "土豆",
    "番茄",
    "菠菜",
    "芹菜",
    "韭菜",
    "大米",
    "面粉",
    "食用油",
    "白糖",
    "食盐",
    "鸡蛋",
    "猪肉",
    "羊肉",
    "带鱼",
    "黄鱼",
    "草莓",
    "梨",
    "桃",
];
const JOBS: &[&str] = &[
    "经理",
    "主任",
    "工程师",
    "会计",
    "出纳",
    "司机",
    "保安",
    "厨师",
    "护士",
    "医生",
    "教师",
    "律师",
    "文员",
    "程序员",
    "销售",
    "采购",
    "仓管",
    "质检员",
    "电工",
    "焊工",
    "管理员",
    "高级工程师",
    "项目经理",
    "科员",
    "副主任",
    "总经理",
    "董事长",
    "监事",
    "技术员",
    "保洁员",
];
const DISHES: &[&str] = &[
    "宫保鸡丁",
    "麻婆豆腐",
    "红烧肉",
    "鱼香肉丝",
    "糖醋排骨",
    "西湖醋鱼",
    "东坡肉",
    "龙井虾仁",
    "叫花鸡",
    "回锅肉",
    "水煮鱼",
    "白切鸡",
    "梅菜扣肉",
    "酸菜鱼",
    "毛血旺",
    "小笼包",
    "葱油拌面",
    "片儿川",
    "油焖春笋",
    "干炸响铃",
    "宋嫂鱼羹",
    "蟹粉豆腐",
    "清蒸鲈鱼",
    "麻辣香锅",
    "锅包肉",
    "地三鲜",
    "黄焖鸡",
    "煲仔饭",
    "炸酱面",
    "牛肉面",
];
const TITLES: &[&str] = &[
    "经理", "老师", "主任", "医生", "师傅", "先生", "女士", "科长", "局长", "书记", "总", "工",
];
const STATIONS: &[&str] = &[
    "张江高科",
    "金科路",
    "龙阳路",
    "世纪大道",
    "陆家嘴",
    "南京东路",
    "人民广场",
    "静安寺",
    "江苏路",
    "中山公园",
    "龙柏新村",
    "虹桥火车站",
    "武林广场",
    "凤起路",
    "龙翔桥",
    "定安路",
    "城站",
    "婺江路",
    "打铁关",
    "闸弄口",
    "火车东站",
    "彭埠",
    "七堡",
    "九和路",
    "九堡",
    "客运中心",
    "下沙西",
    "金沙湖",
    "高沙路",
    "文泽路",
    "文海南路",
    "云水",
    "近江",
    "钱江路",
    "江锦路",
    "市民中心",
    "江陵路",
    "滨和路",
    "西兴",
    "湘湖",
    "古荡",
    "沈塘桥",
    "西溪湿地南",
    "龙井路",
    "黄龙洞",
    "丰潭路",
    "白洋",
    "余杭高铁站",
    "良渚",
    "杜甫村",
    "汪家村",
];

/// Towns and neighbourhoods named without their marker: many are a surname and one character.
const TOWNS: &[&str] = &[
    "张江",
    "金桥",
    "高桥",
    "周浦",
    "杨思",
    "梅陇",
    "华泾",
    "曹路",
    "康桥",
    "周庄",
    "朱家角",
    "金泽",
    "练塘",
    "叶榭",
    "泗泾",
    "车墩",
    "柘林",
    "庄行",
    "三林",
    "北蔡",
    "川沙",
    "祝桥",
    "惠南",
    "大团",
    "万祥",
    "书院",
    "泥城",
    "宣桥",
    "新场",
    "航头",
    "江桥",
    "马陆",
    "南翔",
    "安亭",
    "徐行",
    "华亭",
    "罗店",
    "顾村",
    "杨行",
    "月浦",
    "庙行",
    "淞南",
    "高境",
    "彭浦",
    "江湾",
    "殷行",
    "五角场",
    "凌云",
    "田林",
    "虹梅",
    "龙华",
    "漕河泾",
    "长桥",
    "七宝",
    "莘庄",
    "颛桥",
    "吴泾",
    "马桥",
    "浦江",
];
/// Brands and short firm names, some of them shaped like a name.
const BRANDS: &[&str] = &[
    "华为",
    "万科",
    "苏宁",
    "方太",
    "吉利",
    "长安",
    "江淮",
    "东风",
    "宁德时代",
    "海尔",
    "美的",
    "格力",
    "小米",
    "联想",
    "中兴",
    "比亚迪",
    "娃哈哈",
    "蒙牛",
    "伊利",
    "安踏",
    "李宁",
    "雷士",
    "欧派",
    "索菲亚",
    "顾家",
    "老板",
    "九阳",
    "苏泊尔",
    "海康",
    "大华",
    "网易",
    "阿里",
    "腾讯",
    "百度",
    "京东",
    "拼多多",
    "携程",
    "顺丰",
    "圆通",
    "中通",
    "申通",
    "韵达",
    "汇源",
    "农夫山泉",
    "康师傅",
    "统一",
    "白象",
    "今麦郎",
    "三只松鼠",
    "良品铺子",
    "周黑鸭",
    "绝味",
    "钱大妈",
];

/// A look-alike column: one kind of value that is not a personal name, under a neutral header.
fn look_alike_column(r: &mut Rng, kind: usize, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            if r.chance(0.03) {
                return String::new();
            }
            match kind {
                // Districts, streets and villages: a place name and its marker.
                0 => format!("{}{}", r.pick(PLACE_HEADS), r.pick(PLACE_TAILS)),
                // Organisations.
                1 => r.pick(ORGS).to_string(),
                // Products and goods.
                2 => r.pick(PRODUCTS).to_string(),
                // Jobs.
                3 => r.pick(JOBS).to_string(),
                // Dishes.
                4 => r.pick(DISHES).to_string(),
                // A surname and a title: how a contact is often written, but not a name.
                5 => format!("{}{}", r.pick_char(FREQUENT_SURNAMES), r.pick(TITLES)),
                // Metro stations.
                6 => r.pick(STATIONS).to_string(),
                // Towns without their marker.
                7 => r.pick(TOWNS).to_string(),
                // Brands.
                8 => r.pick(BRANDS).to_string(),
                // A street with a number: an address without a header.
                _ => format!(
                    "{}{}{}号",
                    r.pick(PLACE_HEADS),
                    r.pick(&["路", "街", "大道"]),
                    1 + r.below(300)
                ),
            }
        })
        .collect()
}

fn is_name_column(header: &str, values: &[String]) -> bool {
    let mut scanner = ColumnScanner::new(header);
    for v in values {
        scanner.observe(v);
    }
    let non_empty: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let distinct = non_empty.iter().collect::<BTreeSet<_>>().len() as u64;
    scanner
        .findings(non_empty.len() as u64, distinct)
        .iter()
        .any(|f| f.kind == PiiKind::PersonName)
}

const NEUTRAL_HEADERS: &[&str] = &["c03", "col_7", "申请人x", "字段5", "field_12", "备注2"];

#[test]
fn name_columns_are_found_by_content_with_high_recall_and_precision() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let sizes = [5, 8, 20, 50, 200, 1000, 5000];
    let (mut names, mut found) = (0, 0);
    let mut missed = Vec::new();
    for i in 0..700 {
        let n = sizes[i % sizes.len()];
        let header = NEUTRAL_HEADERS[i % NEUTRAL_HEADERS.len()];
        let column = name_column(&mut r, n);
        names += 1;
        if is_name_column(header, &column) {
            found += 1;
        } else if missed.len() < 40 {
            missed.push((n, column.iter().take(8).cloned().collect::<Vec<_>>()));
        }
    }
    let (mut others, mut false_positives) = (0, 0);
    let mut wrong = Vec::new();
    for i in 0..2000 {
        let n = sizes[i % sizes.len()];
        let header = NEUTRAL_HEADERS[i % NEUTRAL_HEADERS.len()];
        let column = look_alike_column(&mut r, i % 10, n);
        others += 1;
        if is_name_column(header, &column) {
            false_positives += 1;
            if wrong.len() < 5 {
                wrong.push(column.iter().take(8).cloned().collect::<Vec<_>>());
            }
        }
    }
    let recall = found as f64 / names as f64;
    let precision = found as f64 / (found + false_positives) as f64;
    println!(
        "{names} name columns, {found} found (recall {recall:.4}); {others} look-alike columns, \
         {false_positives} taken for names (precision {precision:.4})"
    );
    println!("{missed:?}");
    assert!(recall >= 0.95, "recall {recall}; missed e.g. {missed:?}");
    assert!(precision >= 0.99, "precision {precision}; e.g. {wrong:?}");
}

#[test]
fn the_header_stays_a_second_signal() {
    let mut r = Rng(7);
    // Under a name header, a column of names repeated on duty rosters (few distinct values) is
    // still a name column; without the header it is not decided by content.
    let roster: Vec<String> = (0..200)
        .map(|i| ["王伟", "李娜", "张敏"][i % 3].to_string())
        .collect();
    assert!(is_name_column("值班人姓名", &roster));
    assert!(!is_name_column("c03", &roster));
    // Company names under a name-like header are not names.
    let firms: Vec<String> = (0..50).map(|_| r.pick(ORGS).to_string()).collect();
    assert!(!is_name_column("单位名称", &firms));
}

#[test]
fn the_shape_of_one_value() {
    use model::pii::shaped_like_person_name as name;
    for v in ["王伟", "欧阳娜娜", "司马懿", "诸葛亮", "李秀英", "陈子轩"] {
        assert!(name(v), "{v}");
    }
    for v in [
        "西湖区",
        "文三路",
        "李家村",
        "公安局",
        "发改委",
        "王经理",
        "李老师",
        "张总",
        "黄瓜",
        "牛肉",
        "宫保鸡丁",
        "麻婆豆腐",
        "金针菇",
        "陆家嘴",
        "彭埠",
        "金桥中心",
        "王",
        "王伟伟伟伟",
        "Wang Wei",
        "王 伟",
        "买买提·艾力",
    ] {
        assert!(!name(v), "{v}");
    }
}
