"""County-level area codes (GB/T 2260) that a resident ID may carry for any birth year.

Rule. A resident ID (GB 11643) starts with the code of the county where the person was registered when
the number was assigned, and a validator such as ``stdnum.cn.ric`` accepts the code only if it was in force
in the birth year. Faker draws area and birth year independently, so most of its IDs fail that check
(``shared/reference/lending-domain.md`` §3). This table therefore holds only codes that have meant the same
county in **every** edition of GB/T 2260, from the first (GB 2260-80) to the current one, with neither a
start nor an end year. Such a code is valid for every birth year a borrower can have (18 to 65 years before
any as-of date): the code history begins in 1980, so "in force since the first edition" is the strongest
form of "existed since before 1950" the source can vouch for, and it is exactly what python-stdnum checks
(people born earlier got their 18-digit numbers in 1984 or later, under these same codes).
It holds only county-level units (县, 旗, 区, 特区, 林区): no province (``xx0000``), prefecture
(``xxxx00``) or "市辖区" placeholder (``xxxx01`` of a prefecture) code, and no 71/81/82/83 (Taiwan, Hong
Kong, Macau) residence-permit prefix.

Source. GB/T 2260 as tabulated with validity years on the Chinese Wikipedia pages
"中华人民共和国行政区划代码" (1区 to 8区) — the same data that python-stdnum 2.2 ships as
``stdnum/cn/loc.dat``. Selected: every entry listed without a year range and without a second name under
the same code, restricted to the kinds above; 422921 (listed twice for 神农架林区) was left out. The test
suite checks each code against python-stdnum (a dev dependency).

Limitation. Most coastal provinces renumbered their counties when prefecture-level cities took over
counties in 1983 and later, so no code there qualifies: the table leans west (四川, 新疆, 云南, 贵州,
青海, 内蒙古, ...) and the birthplaces of synthetic borrowers (and of generated mock data) are not distributed
like the real population's.
"""

from __future__ import annotations

import random
from types import MappingProxyType
from typing import Final

__all__ = ["AREAS", "AREA_CODES", "area_code"]

# code province county — one line per county, sorted by code.
_TABLE: Final = """
110101 北京市 东城区
110102 北京市 西城区
110105 北京市 朝阳区
110106 北京市 丰台区
110107 北京市 石景山区
110108 北京市 海淀区
110109 北京市 门头沟区
120101 天津市 和平区
120102 天津市 河东区
120103 天津市 河西区
120104 天津市 南开区
120105 天津市 河北区
120106 天津市 红桥区
140121 山西省 清徐县
140122 山西省 阳曲县
140123 山西省 娄烦县
150121 内蒙古自治区 土默特左旗
150122 内蒙古自治区 托克托县
150221 内蒙古自治区 土默特右旗
150222 内蒙古自治区 固阳县
152221 内蒙古自治区 科尔沁右翼前旗
152222 内蒙古自治区 科尔沁右翼中旗
152223 内蒙古自治区 扎赉特旗
152224 内蒙古自治区 突泉县
152522 内蒙古自治区 阿巴嘎旗
152523 内蒙古自治区 苏尼特左旗
152524 内蒙古自治区 苏尼特右旗
152525 内蒙古自治区 东乌珠穆沁旗
152526 内蒙古自治区 西乌珠穆沁旗
152527 内蒙古自治区 太仆寺旗
152528 内蒙古自治区 镶黄旗
152529 内蒙古自治区 正镶白旗
152530 内蒙古自治区 正蓝旗
152531 内蒙古自治区 多伦县
152921 内蒙古自治区 阿拉善左旗
152922 内蒙古自治区 阿拉善右旗
152923 内蒙古自治区 额济纳旗
210224 辽宁省 长海县
210321 辽宁省 台安县
210421 辽宁省 抚顺县
210726 辽宁省 黑山县
210727 辽宁省 义县
210921 辽宁省 阜新蒙古族自治县
210922 辽宁省 彰武县
211021 辽宁省 辽阳县
222424 吉林省 汪清县
222426 吉林省 安图县
230722 黑龙江省 嘉荫县
232721 黑龙江省 呼玛县
310101 上海市 黄浦区
310104 上海市 徐汇区
310105 上海市 长宁区
310106 上海市 静安区
310107 上海市 普陀区
310109 上海市 虹口区
310110 上海市 杨浦区
330122 浙江省 桐庐县
330127 浙江省 淳安县
340121 安徽省 长丰县
340421 安徽省 凤台县
340621 安徽省 濉溪县
350121 福建省 闽侯县
360121 江西省 南昌县
422822 湖北省 建始县
422823 湖北省 巴东县
422825 湖北省 宣恩县
422826 湖北省 咸丰县
429021 湖北省 神农架林区
430121 湖南省 长沙县
430321 湖南省 湘潭县
433122 湖南省 泸溪县
433123 湖南省 凤凰县
433124 湖南省 花垣县
433125 湖南省 保靖县
433126 湖南省 古丈县
433127 湖南省 永顺县
433130 湖南省 龙山县
510121 四川省 金堂县
510321 四川省 荣县
510421 四川省 米易县
510422 四川省 盐边县
513221 四川省 汶川县
513222 四川省 理县
513224 四川省 松潘县
513226 四川省 金川县
513227 四川省 小金县
513228 四川省 黑水县
513230 四川省 壤塘县
513231 四川省 阿坝县
513232 四川省 若尔盖县
513233 四川省 红原县
513322 四川省 泸定县
513323 四川省 丹巴县
513324 四川省 九龙县
513325 四川省 雅江县
513326 四川省 道孚县
513327 四川省 炉霍县
513328 四川省 甘孜县
513329 四川省 新龙县
513330 四川省 德格县
513331 四川省 白玉县
513332 四川省 石渠县
513333 四川省 色达县
513334 四川省 理塘县
513335 四川省 巴塘县
513336 四川省 乡城县
513337 四川省 稻城县
513338 四川省 得荣县
513422 四川省 木里藏族自治县
513423 四川省 盐源县
513424 四川省 德昌县
513426 四川省 会东县
513427 四川省 宁南县
513428 四川省 普格县
513429 四川省 布拖县
513430 四川省 金阳县
513431 四川省 昭觉县
513432 四川省 喜德县
513433 四川省 冕宁县
513434 四川省 越西县
513435 四川省 甘洛县
513436 四川省 美姑县
513437 四川省 雷波县
520203 贵州省 六枝特区
522323 贵州省 普安县
522324 贵州省 晴隆县
522622 贵州省 黄平县
522623 贵州省 施秉县
522624 贵州省 三穗县
522625 贵州省 镇远县
522626 贵州省 岑巩县
522627 贵州省 天柱县
522628 贵州省 锦屏县
522629 贵州省 剑河县
522630 贵州省 台江县
522631 贵州省 黎平县
522632 贵州省 榕江县
522633 贵州省 从江县
522634 贵州省 雷山县
522635 贵州省 麻江县
522636 贵州省 丹寨县
522722 贵州省 荔波县
522723 贵州省 贵定县
522725 贵州省 瓮安县
522726 贵州省 独山县
522727 贵州省 平塘县
522728 贵州省 罗甸县
522729 贵州省 长顺县
522730 贵州省 龙里县
522731 贵州省 惠水县
522732 贵州省 三都水族自治县
530124 云南省 富民县
532322 云南省 双柏县
532323 云南省 牟定县
532324 云南省 南华县
532325 云南省 姚安县
532326 云南省 大姚县
532327 云南省 永仁县
532328 云南省 元谋县
532329 云南省 武定县
532523 云南省 屏边苗族自治县
532524 云南省 建水县
532525 云南省 石屏县
532527 云南省 泸西县
532528 云南省 元阳县
532529 云南省 红河县
532531 云南省 绿春县
532532 云南省 河口瑶族自治县
532622 云南省 砚山县
532623 云南省 西畴县
532624 云南省 麻栗坡县
532625 云南省 马关县
532626 云南省 丘北县
532627 云南省 广南县
532628 云南省 富宁县
532822 云南省 勐海县
532823 云南省 勐腊县
532923 云南省 祥云县
532924 云南省 宾川县
532925 云南省 弥渡县
532926 云南省 南涧彝族自治县
532927 云南省 巍山彝族回族自治县
532928 云南省 永平县
532929 云南省 云龙县
532930 云南省 洱源县
532931 云南省 剑川县
532932 云南省 鹤庆县
533122 云南省 梁河县
533123 云南省 盈江县
533124 云南省 陇川县
533323 云南省 福贡县
533324 云南省 贡山独龙族怒族自治县
533422 云南省 德钦县
540121 西藏自治区 林周县
540122 西藏自治区 当雄县
540123 西藏自治区 尼木县
540124 西藏自治区 曲水县
540127 西藏自治区 墨竹工卡县
542521 西藏自治区 普兰县
542522 西藏自治区 札达县
542523 西藏自治区 噶尔县
542524 西藏自治区 日土县
542525 西藏自治区 革吉县
542526 西藏自治区 改则县
542527 西藏自治区 措勤县
610323 陕西省 岐山县
610324 陕西省 扶风县
610326 陕西省 眉县
610327 陕西省 陇县
610328 陕西省 千阳县
610329 陕西省 麟游县
610330 陕西省 凤县
610331 陕西省 太白县
620121 甘肃省 永登县
620122 甘肃省 皋兰县
620123 甘肃省 榆中县
622921 甘肃省 临夏县
622922 甘肃省 康乐县
622923 甘肃省 永靖县
622924 甘肃省 广河县
622925 甘肃省 和政县
622926 甘肃省 东乡族自治县
622927 甘肃省 积石山保安族东乡族撒拉族自治县
623021 甘肃省 临潭县
623022 甘肃省 卓尼县
623023 甘肃省 舟曲县
623024 甘肃省 迭部县
623025 甘肃省 玛曲县
623026 甘肃省 碌曲县
623027 甘肃省 夏河县
632221 青海省 门源回族自治县
632222 青海省 祁连县
632223 青海省 海晏县
632224 青海省 刚察县
632322 青海省 尖扎县
632323 青海省 泽库县
632521 青海省 共和县
632522 青海省 同德县
632523 青海省 贵德县
632524 青海省 兴海县
632525 青海省 贵南县
632621 青海省 玛沁县
632622 青海省 班玛县
632623 青海省 甘德县
632624 青海省 达日县
632625 青海省 久治县
632626 青海省 玛多县
632722 青海省 杂多县
632723 青海省 称多县
632724 青海省 治多县
632725 青海省 囊谦县
632726 青海省 曲麻莱县
632821 青海省 乌兰县
632822 青海省 都兰县
632823 青海省 天峻县
640121 宁夏回族自治区 永宁县
640122 宁夏回族自治区 贺兰县
640221 宁夏回族自治区 平罗县
650121 新疆维吾尔自治区 乌鲁木齐县
652323 新疆维吾尔自治区 呼图壁县
652324 新疆维吾尔自治区 玛纳斯县
652325 新疆维吾尔自治区 奇台县
652327 新疆维吾尔自治区 吉木萨尔县
652328 新疆维吾尔自治区 木垒哈萨克自治县
652722 新疆维吾尔自治区 精河县
652723 新疆维吾尔自治区 温泉县
652822 新疆维吾尔自治区 轮台县
652823 新疆维吾尔自治区 尉犁县
652824 新疆维吾尔自治区 若羌县
652825 新疆维吾尔自治区 且末县
652826 新疆维吾尔自治区 焉耆回族自治县
652827 新疆维吾尔自治区 和静县
652828 新疆维吾尔自治区 和硕县
652829 新疆维吾尔自治区 博湖县
652922 新疆维吾尔自治区 温宿县
652924 新疆维吾尔自治区 沙雅县
652925 新疆维吾尔自治区 新和县
652926 新疆维吾尔自治区 拜城县
652927 新疆维吾尔自治区 乌什县
652928 新疆维吾尔自治区 阿瓦提县
652929 新疆维吾尔自治区 柯坪县
653022 新疆维吾尔自治区 阿克陶县
653023 新疆维吾尔自治区 阿合奇县
653024 新疆维吾尔自治区 乌恰县
653121 新疆维吾尔自治区 疏附县
653122 新疆维吾尔自治区 疏勒县
653123 新疆维吾尔自治区 英吉沙县
653124 新疆维吾尔自治区 泽普县
653125 新疆维吾尔自治区 莎车县
653126 新疆维吾尔自治区 叶城县
653127 新疆维吾尔自治区 麦盖提县
653128 新疆维吾尔自治区 岳普湖县
653129 新疆维吾尔自治区 伽师县
653130 新疆维吾尔自治区 巴楚县
653131 新疆维吾尔自治区 塔什库尔干塔吉克自治县
653221 新疆维吾尔自治区 和田县
653222 新疆维吾尔自治区 墨玉县
653223 新疆维吾尔自治区 皮山县
653224 新疆维吾尔自治区 洛浦县
653225 新疆维吾尔自治区 策勒县
653226 新疆维吾尔自治区 于田县
653227 新疆维吾尔自治区 民丰县
"""


def _parse(table: str) -> dict[str, str]:
    areas: dict[str, str] = {}
    for line in table.strip().splitlines():
        code, province, county = line.split()
        areas[code] = province + county
    return areas


AREAS: Final = MappingProxyType(_parse(_TABLE))
"""Area code → "province county" (e.g. ``"110101"`` → ``"北京市东城区"``), every code valid for any birth year."""

AREA_CODES: Final = tuple(AREAS)
"""The codes of :data:`AREAS`, sorted."""


def area_code(rng: random.Random) -> str:
    """A county code from :data:`AREA_CODES`, uniformly; valid with any birth date."""
    return AREA_CODES[rng.randrange(len(AREA_CODES))]
