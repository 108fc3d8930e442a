//! Validation of a room's tables: physical tables by id, pools of the shorthand, the
//! combinations of specific tables and the joins of pools. One namespace holds ids and pool
//! types, since each names the counters `t:<name>@<instant>`.

use super::Validator;
use crate::document::{SlotsDoc, TableDoc};
use crate::limits::{MAX_COMBINATIONS, MAX_JOINS, MAX_JOIN_TABLES, MAX_TABLES, MAX_TAGS};
use crate::resource::{Join, TableType};

const P: &str = "dimensions.slots";

/// 1-32 characters of `A-Z a-z 0-9 - _`: ids, types and areas travel in counter names and
/// in `+`-joined labels.
fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Validator {
    fn seats(&mut self, path: &str, seats: [i64; 2]) -> Option<(u32, u32)> {
        let min = self.units(&format!("{path}[0]"), seats[0], 1)?;
        let max = self.units(&format!("{path}[1]"), seats[1], 1)?;
        if max < min {
            self.err(path, "max must be >= min");
            return None;
        }
        Some((min, max))
    }

    fn name(&mut self, path: String, s: &str) -> bool {
        let ok = valid_name(s);
        if !ok {
            self.err(path, "must be 1-32 characters of A-Z a-z 0-9 - _");
        }
        ok
    }

    /// One entry of `tables`: its name, or `None` when it is refused.
    fn table(&mut self, tp: &str, t: &TableDoc) -> Option<TableType> {
        let (name, count, physical) = match (&t.id, &t.kind) {
            (Some(id), None) => {
                if t.count.is_some() {
                    self.err(format!("{tp}.count"), "a table with an id is one table: count goes with type");
                }
                (self.name(format!("{tp}.id"), id).then(|| id.clone()), Some(1), true)
            }
            (None, Some(kind)) => {
                let count = match t.count {
                    Some(c) => self.units(&format!("{tp}.count"), c, 0),
                    None => {
                        self.err(format!("{tp}.count"), "required with type");
                        None
                    }
                };
                (self.name(format!("{tp}.type"), kind).then(|| kind.clone()), count, false)
            }
            _ => {
                self.err(tp, "needs either id (a table) or type and count (a pool of tables)");
                (None, None, false)
            }
        };
        let area_ok = match &t.area {
            Some(a) => self.name(format!("{tp}.area"), a),
            None => true,
        };
        self.at_most(&format!("{tp}.tags"), t.tags.len(), MAX_TAGS);
        for (k, tag) in t.tags.iter().enumerate().take(MAX_TAGS) {
            if tag.trim().is_empty() || tag.len() > 32 || tag.chars().any(char::is_control) {
                self.err(format!("{tp}.tags[{k}]"), "must be 1-32 bytes of printable text");
            }
        }
        let seats = self.seats(&format!("{tp}.seats"), t.seats);
        let ((min, max), name, count) = (seats?, name?, count?);
        area_ok.then(|| TableType { name, count, physical, area: t.area.clone(), tags: t.tags.clone(), min, max })
    }

    pub(super) fn tables(&mut self, s: &SlotsDoc) -> (Vec<TableType>, Vec<Join>) {
        let mut tables: Vec<TableType> = Vec::new();
        self.at_most(&format!("{P}.tables"), s.tables.len(), MAX_TABLES);
        self.at_most(&format!("{P}.combinations"), s.combinations.len(), MAX_COMBINATIONS);
        self.at_most(&format!("{P}.joins"), s.joins.len(), MAX_JOINS);
        for (i, t) in s.tables.iter().enumerate().take(MAX_TABLES) {
            let tp = format!("{P}.tables[{i}]");
            let name = t.id.as_ref().or(t.kind.as_ref());
            let first = s.tables[..i].iter().find(|x| name.is_some() && x.id.as_ref().or(x.kind.as_ref()) == name);
            if let (Some(first), Some(name)) = (first, name) {
                let field = if t.id.is_some() { "id" } else { "type" };
                let msg = match (&first.area, &t.area) {
                    (a, b) if a != b => format!("{name:?} is listed twice, in areas {a:?} and {b:?}"),
                    _ => format!("{name:?} is listed twice"),
                };
                self.err(format!("{tp}.{field}"), msg);
                continue;
            }
            let Some(table) = self.table(&tp, t) else { continue };
            tables.push(table);
        }
        if (!s.joins.is_empty() || !s.combinations.is_empty()) && s.tables.is_empty() {
            self.err(format!("{P}.{}", if s.joins.is_empty() { "combinations" } else { "joins" }), "needs dimensions.slots.tables");
        }
        let mut joins = Vec::new();
        for (i, c) in s.combinations.iter().enumerate().take(MAX_COMBINATIONS) {
            let jp = format!("{P}.combinations[{i}]");
            if let Some(j) = self.join(&jp, &c.of, c.seats, &tables, true) {
                joins.push(j);
            }
        }
        for (i, j) in s.joins.iter().enumerate().take(MAX_JOINS) {
            let jp = format!("{P}.joins[{i}]");
            if let Some(j) = self.join(&jp, &j.of, j.seats, &tables, false) {
                joins.push(j);
            }
        }
        (tables, joins)
    }

    /// A combination (`specific`: physical tables, each once, in one area) or a join of pools.
    fn join(&mut self, jp: &str, of: &[String], seats: [i64; 2], tables: &[TableType], specific: bool) -> Option<Join> {
        if of.len() < 2 || of.len() > MAX_JOIN_TABLES {
            self.err(format!("{jp}.of"), format!("must join 2 to {MAX_JOIN_TABLES} tables"));
            return None;
        }
        let mut uses: Vec<(usize, u32)> = Vec::new();
        let mut ok = true;
        for (k, name) in of.iter().enumerate() {
            let found = tables.iter().position(|t| &t.name == name);
            match found {
                Some(ix) if specific && !tables[ix].physical => {
                    self.err(
                        format!("{jp}.of[{k}]"),
                        format!("{name:?} is a pool of tables: a combination lists table ids (joins take pools)"),
                    );
                    ok = false;
                }
                Some(ix) => match uses.iter_mut().find(|u| u.0 == ix) {
                    Some(_) if specific => {
                        self.err(format!("{jp}.of[{k}]"), format!("table {name:?} is listed twice"));
                        ok = false;
                    }
                    Some(u) => u.1 += 1,
                    None => uses.push((ix, 1)),
                },
                None => {
                    let what = if specific { "table id" } else { "table type" };
                    self.err(format!("{jp}.of[{k}]"), format!("unknown {what} {name:?}"));
                    ok = false;
                }
            }
        }
        if let Some((ix, n)) = uses.iter().find(|(ix, n)| *n > tables[*ix].count) {
            self.err(format!("{jp}.of"), format!("needs {n} of {:?}, the room has {}", tables[*ix].name, tables[*ix].count));
            ok = false;
        }
        let areas: Vec<&Option<String>> = uses.iter().map(|(ix, _)| &tables[*ix].area).collect();
        let area = areas.first().copied().cloned().flatten().filter(|_| areas.iter().all(|a| *a == areas[0]));
        if specific && ok && areas.iter().any(|a| *a != areas[0]) {
            self.err(format!("{jp}.of"), "tables pushed together must stand in one area");
            ok = false;
        }
        let (min, max) = self.seats(&format!("{jp}.seats"), seats)?;
        ok.then(|| Join { label: of.join("+"), area, uses, min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names_travel_in_counter_names_and_labels() {
        assert!(valid_name("T4") && valid_name("4-top") && valid_name("terraza_1"));
        assert!(!valid_name("") && !valid_name("T4+T5") && !valid_name("a b") && !valid_name(&"x".repeat(33)));
    }
}
