//! "Did you mean ...?" hints: the closest candidate by edit distance.

/// The candidate closest to `name`, if close enough to be a likely typo
/// (distance at most a third of the name's length, at least 1). Case does
/// not count (`Strin` is one edit from `string`); among candidates as close,
/// the one whose case differs least wins.
pub(super) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| {
            let d = distance(&lower, &c.to_lowercase());
            (d <= limit).then(|| (d, distance(name, c), c))
        })
        .min()
        .map(|(_, _, c)| c)
}

/// Edit distance over characters: insert, delete, substitute, and swap of
/// two adjacent characters (optimal string alignment).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 8 || a.len() > 200 || b.len() > 200 {
        return a.len().abs_diff(b.len()).max(9);
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("Numberz", "Numbers"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("LIMTI", "LIMIT"), 1);
    }

    #[test]
    fn closest_prefers_small_distances() {
        let c = ["Numberz", "Xtruct", "Insanity"];
        assert_eq!(closest("Numbers", c), Some("Numberz"));
        assert_eq!(closest("xtruct", c), Some("Xtruct"));
        assert_eq!(closest("Completely", c), None);
        // Case does not count against a candidate, but breaks ties.
        assert_eq!(closest("Strin", ["string", "binary"]), Some("string"));
        assert_eq!(closest("STRUCT", ["Struct", "struct"]), Some("Struct"));
        assert_eq!(closest("Xtruc", ["xtruct", "Xtrucz"]), Some("Xtrucz"));
    }
}
