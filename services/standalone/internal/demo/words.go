package demo

// place is the vocabulary a district's data is drawn from.
type place struct {
	// known marks the two districts of the seed report, whose district
	// lead is a real person rather than a generated one.
	known bool
	// nameWords are place words used in company names (武汉<word><brand>…).
	nameWords []string
	// formalPrefix is the full administrative name some companies use
	// instead of a place word.
	formalPrefix string
	addresses    []addressArea
	// creditRegions are the registration authorities' region codes in
	// credit codes of companies registered in the district.
	creditRegions []string
	// birthRegions are the region codes of guards' ID numbers (where they
	// were first registered), weighted by repetition towards the district
	// itself, then Wuhan, then the rest of Hubei.
	birthRegions []string
}

// addressArea is an address prefix with the roads under it.
type addressArea struct {
	prefix string
	roads  []string
}

// hubeiRegions are region codes elsewhere in Hubei that guards come from:
// Xiaogan, Huanggang, Jingzhou, Xianning, Xiantao, Honghu and others.
var hubeiRegions = []string{
	"420102", "420103", "420104", "420105", "420106", "420111", "420112", "420115", "420116", "420117",
	"420902", "420982", "420984", "421102", "421122", "421125", "421126", "421127", "421181", "421182",
	"421002", "421023", "421083", "421202", "421281", "429004", "429005", "420281", "420602", "422801",
}

func placeFor(district string) place {
	switch district {
	case "jingkai":
		return place{
			known:        true,
			nameWords:    []string{"经开区", "沌口", "军山", "车城", "汉南", "沌阳", "三角湖", "纱帽", "太子湖", "东风"},
			formalPrefix: "武汉经济技术开发区",
			addresses: []addressArea{
				{"武汉经济技术开发区", []string{"东风大道", "沌阳大道", "车城南路", "车城北路", "神龙大道", "江城大道", "全力北路", "博学路", "太子湖北路", "兴城大道", "枫树二路", "创业路"}},
				{"武汉经济技术开发区军山街", []string{"港城大道", "通顺大道", "军山大道"}},
				{"武汉经济技术开发区（汉南区）", []string{"汉南大道", "纱帽大道", "兴城大道"}},
			},
			creditRegions: []string{"420100", "420100", "420113"},
			birthRegions: append([]string{
				"420113", "420113", "420113", "420114", "420100", "420100", "420105", "420105",
			}, hubeiRegions...),
		}
	case "caidian":
		return place{
			known:        true,
			nameWords:    []string{"蔡甸", "奓山", "索河", "中法生态城", "知音湖", "玉贤", "张湾", "常福", "侏儒山", "消泗"},
			formalPrefix: "武汉市蔡甸区",
			addresses: []addressArea{
				{"武汉市蔡甸区", []string{"蔡甸大街", "树藩大街", "汉阳大街", "知音湖大道", "成功大道", "新农大道", "莲花湖路"}},
				{"武汉市蔡甸区奓山街", []string{"星光大道", "奓山大道", "常福路"}},
				{"武汉市蔡甸区索河街", []string{"索河大道", "九真山大道"}},
				{"武汉市蔡甸区中法生态城", []string{"生态大道", "中法大道", "后官湖大道"}},
			},
			creditRegions: []string{"420114", "420114", "420100"},
			birthRegions: append([]string{
				"420114", "420114", "420114", "420114", "420113", "420100", "420105", "420105",
			}, hubeiRegions...),
		}
	}
	return place{
		nameWords:    []string{"江城", "楚天", "汉江", "长江", "江汉", "汉阳", "武昌", "洪山", "东湖", "黄鹤"},
		formalPrefix: "武汉市",
		addresses: []addressArea{
			{"武汉市江岸区", []string{"解放大道", "中山大道", "沿江大道", "建设大道", "黄浦大街"}},
			{"武汉市江汉区", []string{"解放大道", "建设大道", "新华路", "发展大道", "青年路"}},
			{"武汉市武昌区", []string{"武珞路", "中北路", "友谊大道", "和平大道", "中南路"}},
			{"武汉市洪山区", []string{"珞喻路", "雄楚大道", "民族大道", "关山大道", "鲁磨路"}},
			{"武汉市汉阳区", []string{"汉阳大道", "龙阳大道", "鹦鹉大道", "墨水湖北路"}},
			{"武汉市硚口区", []string{"解放大道", "京汉大道", "古田二路", "汉西路"}},
		},
		creditRegions: []string{"420100", "420100", "420102", "420103", "420104", "420106", "420111"},
		birthRegions:  append([]string{"420100", "420102", "420103", "420104", "420106", "420111"}, hubeiRegions...),
	}
}

// brandWords are trade names (字号) of security companies.
var brandWords = []string{
	"安泰", "华卫", "恒安", "盾安", "金盾", "安邦", "卫士", "鼎安", "九州", "众信",
	"楚天", "江城", "鑫安", "泰安", "铁卫", "正安", "盛安", "威盾", "华安", "长安",
	"安诚", "汉卫", "振安", "龙盾", "博安", "荣安", "智安", "锐盾", "安信", "同安",
	"利安", "鼎盛", "诚信", "神盾", "中卫", "捷安", "联防", "宏安", "永安", "瑞安",
	"天盾", "信安", "卓安", "护卫", "平泰", "宇安", "国安", "方圆",
}

// inHouseBrands are trade names of businesses that employ their own guards.
var inHouseBrands = []string{"恒达", "华通", "新宇", "联创", "宏图", "正泰", "嘉信", "远航", "瑞丰", "科锐", "德润", "天成"}

// companySuffixes are the legal-form endings of security service companies.
var companySuffixes = []string{"保安服务有限公司", "保安服务有限公司", "保安服务有限公司", "保安服务有限责任公司", "安保服务有限公司"}

// inHouseTrades are the businesses of units that employ their own guards
// (自行招用保安员单位): the car industry of 车都, logistics, parks, hospitals.
var inHouseTrades = []string{
	"汽车零部件有限公司", "汽车配件制造有限公司", "物流有限公司", "物业管理有限公司", "电子科技有限公司",
	"产业园运营管理有限公司", "医院", "商业管理有限公司", "精密机械有限公司",
}

// mobilePrefixes are real mainland mobile number prefixes.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
	"156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
	"188", "189", "191", "198", "199",
}

// surnames are common Chinese surnames, weighted by repetition towards the
// commonest and those frequent in Hubei (胡, 熊, 程, 汪, 余, 万, 涂, 喻).
var surnames = []string{
	"王", "王", "王", "李", "李", "李", "张", "张", "张", "刘", "刘", "刘", "陈", "陈", "陈",
	"杨", "杨", "黄", "黄", "赵", "吴", "周", "周", "徐", "孙", "马", "朱", "胡", "胡", "胡",
	"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "余", "杜", "叶", "程", "程",
	"魏", "苏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "钟", "谭", "陆", "汪", "汪", "范",
	"金", "石", "廖", "贾", "夏", "方", "邹", "熊", "熊", "秦", "江", "雷", "龙", "万", "万",
	"涂", "喻", "柯", "鲁", "童", "聂", "桂",
}

var givenMale = []string{
	"伟", "强", "军", "勇", "杰", "涛", "明", "超", "斌", "波", "辉", "刚", "健", "平", "俊",
	"峰", "磊", "鹏", "华", "林", "兵", "建", "国", "志", "文", "海", "亮", "飞", "浩", "宇",
	"龙", "云", "春", "新", "德", "成", "忠", "祥", "武", "卫", "东", "江", "山", "金", "松",
}

var givenFemale = []string{
	"芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "红", "琴", "云", "莉", "萍", "秀",
	"英", "慧", "倩", "婷", "雪", "梅", "兰", "凤", "洁", "琳",
}

var preJobTopics = []string{
	"保安员岗前培训：法律法规与职业道德",
	"保安员岗前培训：基本技能与岗位职责",
	"保安员岗前培训：消防与应急处置",
}

var inServiceTopics = []string{
	"消防安全知识与器材使用",
	"治安防范与重点区域巡逻",
	"突发事件应急处置演练",
	"法律法规与职业道德",
	"反恐防暴技能训练",
	"急救知识与心肺复苏",
	"“江城义警”业务培训",
	"节假日重点区域巡防",
	"警保联动与报警处置流程",
	"风险隐患排查要点",
	"矛盾纠纷化解与文明执勤",
}
