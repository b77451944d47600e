//! Place names: real regions and prefectures, generated counties and towns.
//!
//! Counties and towns are made of two syllables from a table of characters common
//! in Chinese place names. The table leaves out every character the importer reads
//! as the end of a place level (`省`, `州`, `县`, `区`, `市`, `旗`, `镇`, `乡`, `街道`…),
//! so a generated title splits into region, prefecture, county and town exactly as
//! the generator meant.

use std::collections::BTreeSet;

use super::rng::Rng;

/// A real province-level region and one of its prefectures, with the short form
/// documents use (`克州` for 克孜勒苏柯尔克孜自治州).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefecture {
    /// Province-level region.
    pub region: &'static str,
    /// The prefecture's full name, e.g. `克孜勒苏柯尔克孜自治州`.
    pub name: &'static str,
    /// Its short form.
    pub short: &'static str,
}

const fn p(region: &'static str, name: &'static str, short: &'static str) -> Prefecture {
    Prefecture {
        region,
        name,
        short,
    }
}

/// The regions of the generated counties: mostly autonomous prefectures, as the
/// counties of a national survey of border and minority areas would be.
pub const PREFECTURES: &[Prefecture] = &[
    p("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "克州"),
    p("新疆维吾尔自治区", "喀什地区", "喀什地区"),
    p("新疆维吾尔自治区", "和田地区", "和田地区"),
    p("新疆维吾尔自治区", "阿克苏地区", "阿克苏地区"),
    p("新疆维吾尔自治区", "伊犁哈萨克自治州", "伊犁州"),
    p("新疆维吾尔自治区", "昌吉回族自治州", "昌吉州"),
    p("新疆维吾尔自治区", "巴音郭楞蒙古自治州", "巴州"),
    p("四川省", "甘孜藏族自治州", "甘孜州"),
    p("四川省", "阿坝藏族羌族自治州", "阿坝州"),
    p("四川省", "凉山彝族自治州", "凉山州"),
    p("云南省", "大理白族自治州", "大理州"),
    p("云南省", "红河哈尼族彝族自治州", "红河州"),
    p("云南省", "楚雄彝族自治州", "楚雄州"),
    p("贵州省", "黔东南苗族侗族自治州", "黔东南州"),
    p("贵州省", "黔南布依族苗族自治州", "黔南州"),
    p("湖南省", "湘西土家族苗族自治州", "湘西州"),
    p("湖北省", "恩施土家族苗族自治州", "恩施州"),
    p("甘肃省", "甘南藏族自治州", "甘南州"),
    p("甘肃省", "临夏回族自治州", "临夏州"),
    p("青海省", "海北藏族自治州", "海北州"),
    p("青海省", "玉树藏族自治州", "玉树州"),
    p("吉林省", "延边朝鲜族自治州", "延边州"),
    p("内蒙古自治区", "锡林郭勒盟", "锡盟"),
    p("西藏自治区", "阿里地区", "阿里地区"),
];

/// Characters of generated county and town names (no place-level suffix among them).
const SYLLABLES: &str = "安宁平和清河山水石泉林松柏桥溪湖江川峰岭坪沟坝口关庄堡屯寨营阳东西南北中上下新永兴长丰富康泰福寿吉祥云龙凤鹤鹿马牛羊花桃李梅竹兰金银玉宝红青白黄绿城源沙田园塘岗湾洲滩井星月光明德仁义文武昌盛华荣春秋崇双三五七九百千万大小高远广静乐善顺";

/// Draws names that are unique across one generated data set.
pub struct Names {
    syllables: Vec<char>,
    used: BTreeSet<String>,
}

impl Names {
    /// A fresh name source; `taken` are names that exist already (the real county).
    pub fn new(taken: &[&str]) -> Self {
        let mut syllables: Vec<char> = Vec::new();
        for c in SYLLABLES.chars() {
            if !syllables.contains(&c) {
                syllables.push(c);
            }
        }
        Names {
            syllables,
            used: taken.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// A new name: syllables, then `suffix`. Two syllables give thousands of names;
    /// when those run out, a third syllable is added, so drawing always ends.
    pub fn draw(&mut self, rng: &mut Rng, suffix: &str) -> String {
        let mut syllables = 2;
        loop {
            for _ in 0..64 {
                let chars: Vec<char> = (0..syllables).map(|_| *rng.pick(&self.syllables)).collect();
                // `庄庄镇` reads like a typo, not a place.
                if chars.windows(2).any(|w| w[0] == w[1]) {
                    continue;
                }
                let mut name: String = chars.into_iter().collect();
                name.push_str(suffix);
                if self.used.insert(name.clone()) {
                    return name;
                }
            }
            syllables += 1;
        }
    }
}

/// What a town is: `镇` or `乡` (the documents' wording follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TownKind {
    /// A town (镇).
    Town,
    /// A township (乡).
    Township,
}

impl TownKind {
    /// The suffix of its name.
    pub fn suffix(self) -> &'static str {
        match self {
            TownKind::Town => "镇",
            TownKind::Township => "乡",
        }
    }
}

/// The profiles a town's preamble describes it by.
pub const PROFILES: &[&str] = &[
    "农业型乡镇",
    "牧业型乡镇",
    "农牧结合型乡镇",
    "工贸型乡镇",
    "旅游型乡镇",
    "生态保护型乡镇",
    "产城融合型乡镇",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_syllable_ends_a_place_level() {
        for c in "省州县区市旗盟镇乡街道苏木地自治委局部办".chars() {
            assert!(!SYLLABLES.contains(c), "{c}");
        }
    }

    #[test]
    fn names_are_unique_and_drawing_always_ends() {
        let mut names = Names::new(&["乌恰县"]);
        let mut rng = Rng::new(3);
        let drawn: BTreeSet<String> = (0..20_000).map(|_| names.draw(&mut rng, "县")).collect();
        assert_eq!(drawn.len(), 20_000);
        assert!(!drawn.contains("乌恰县"));
    }
}
