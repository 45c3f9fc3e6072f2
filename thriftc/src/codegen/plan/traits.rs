//! Which optional traits (`Eq`, `Hash`, `PartialOrd`, `Default`) each type
//! derives, as fixpoints over the definitions, and which fields are planned
//! `optional` because their type has no `Default`.

use super::{Coll, Field, Planner, Pref, Traits, Ty};
use crate::ir::{self, DefId, DefKind, Requiredness, StructKind};

impl Planner<'_> {
    /// A field with no requiredness keyword and no IDL default whose type
    /// has no `Default` (a union, or a struct that needs one of its fields
    /// given) has no value to take when a peer leaves it out, as Apache's
    /// generators and thriftpy2 do with any field not `required`: reading
    /// would refuse the whole message. Such fields are stored as
    /// `Option<T>`, as Apache's Rust generator stores every field that is
    /// not `required`, and the traits are computed again (more structs
    /// then have a `Default`). That includes a field that holds its own
    /// struct again (`struct Node { 1: Node next }`), which could never be
    /// absent otherwise, so no finite value of the type would exist.
    ///
    /// As few fields as possible: a field whose struct lacks `Default`
    /// only because of such a field of its own waits for that one to be
    /// demoted (the struct then has a `Default`), round by round.
    pub(super) fn demote_fields_without_default(&mut self) {
        loop {
            let mut candidates = Vec::new();
            for (i, def) in self.program.defs.iter().enumerate() {
                let DefKind::Struct(s) = &def.kind else {
                    continue;
                };
                if s.kind == StructKind::Union {
                    continue;
                }
                let base = self.def_path(DefId(i as u32));
                for (j, f) in s.fields.iter().enumerate() {
                    if f.req != Requiredness::Default
                        || f.default.is_some()
                        || self.demoted.contains(&(i, j))
                    {
                        continue;
                    }
                    let mut path = base.clone();
                    path.push(&f.name.name);
                    if !self.traits_of(&f.ty, self.pref_for(&path)).default {
                        candidates.push((i, j));
                    }
                }
            }
            if candidates.is_empty() {
                return;
            }
            let pending: std::collections::HashSet<(usize, usize)> =
                candidates.iter().copied().collect();
            // Waits: a field of a struct that has a candidate of its own.
            let waits = |&(i, j): &(usize, usize)| {
                let DefKind::Struct(s) = &self.program.defs[i].kind else {
                    return false;
                };
                let f = &s.fields[j];
                if f.recursive {
                    return false;
                }
                let ir::TypeKind::Named(id) = &self.through_typedefs(&f.ty).kind else {
                    return false;
                };
                match &self.program.def(*id).kind {
                    DefKind::Struct(inner) if inner.kind != StructKind::Union => {
                        let k = id.0 as usize;
                        (0..inner.fields.len()).any(|m| pending.contains(&(k, m)))
                    }
                    _ => false,
                }
            };
            let mut now: Vec<(usize, usize)> =
                candidates.iter().copied().filter(|c| !waits(c)).collect();
            if now.is_empty() {
                // Structs that wait for each other: all of them.
                now = candidates;
            }
            self.demoted.extend(now);
            self.compute_traits();
        }
    }

    /// The requiredness field `j` of definition `i` is planned with.
    pub(super) fn req_of(&self, i: usize, j: usize, f: &ir::Field) -> Requiredness {
        if self.demoted.contains(&(i, j)) {
            Requiredness::Optional
        } else {
            f.req
        }
    }

    /// Traits of an IR type given the current table and the collections
    /// asked for.
    pub(super) fn traits_of(&self, t: &ir::Type, btree: Pref) -> Traits {
        use ir::TypeKind as K;
        match &t.kind {
            K::Bool | K::I8 | K::I16 | K::I32 | K::I64 | K::String | K::Binary | K::Uuid => {
                Traits::ALL
            }
            K::Double => Traits {
                eq: false,
                hash: false,
                partial_ord: true,
                default: true,
            },
            K::List(e) => Traits {
                default: true,
                ..self.traits_of(e, btree)
            },
            K::Set(e) => {
                let et = self.traits_of(e, btree);
                self.coll_traits(coll_for(et, btree), et, Traits::ALL)
            }
            K::Map(k, v) => {
                let kt = self.traits_of(k, btree);
                let vt = self.traits_of(v, btree);
                self.coll_traits(coll_for(kt, btree), kt, vt)
            }
            K::Named(id) => self.defs[id.0 as usize].traits,
        }
    }

    fn coll_traits(&self, coll: Coll, k: Traits, v: Traits) -> Traits {
        match coll {
            Coll::Hash => Traits {
                eq: v.eq,
                hash: false,
                partial_ord: false,
                default: true,
            },
            Coll::BTree | Coll::Vec => Traits {
                eq: k.eq && v.eq,
                hash: k.hash && v.hash,
                partial_ord: k.partial_ord && v.partial_ord,
                default: true,
            },
        }
    }

    /// Fixpoints over the type graph (see the module docs).
    pub(super) fn compute_traits(&mut self) {
        let users = self.trait_users();
        // 1: Eq and Hash (greatest fixpoint; the choice of collection
        // depends on them).
        self.fixpoint(&users, |cur, t| {
            let (eq, hash) = (cur.eq && t.eq, cur.hash && t.hash && t.eq);
            let changed = (eq, hash) != (cur.eq, cur.hash);
            cur.eq = eq;
            cur.hash = hash;
            changed
        });
        // 2: PartialOrd (greatest fixpoint).
        self.fixpoint(&users, |cur, t| {
            let changed = cur.partial_ord && !t.partial_ord;
            cur.partial_ord &= t.partial_ord;
            changed
        });
        // 3: Default (least fixpoint: a struct that needs itself to be
        // built has none).
        for (i, def) in self.program.defs.iter().enumerate() {
            if matches!(def.kind, DefKind::Struct(_) | DefKind::Typedef(_)) {
                self.defs[i].traits.default = false;
            }
        }
        self.fixpoint(&users, |cur, t| {
            let changed = !cur.default && t.default;
            cur.default |= t.default;
            changed
        });
    }

    /// For each definition, the structs and typedefs whose traits are
    /// derived from it (they name it in a field or as their target, also
    /// inside containers).
    pub(super) fn trait_users(&self) -> Vec<Vec<usize>> {
        use ir::TypeKind as K;
        let mut users = vec![Vec::new(); self.program.defs.len()];
        for (i, def) in self.program.defs.iter().enumerate() {
            let mut todo: Vec<&ir::Type> = match &def.kind {
                DefKind::Typedef(t) => vec![&t.target],
                DefKind::Struct(s) => s.fields.iter().map(|f| &f.ty).collect(),
                _ => continue,
            };
            while let Some(t) = todo.pop() {
                match &t.kind {
                    K::List(e) | K::Set(e) => todo.push(e),
                    K::Map(k, v) => todo.extend([&**k, &**v]),
                    K::Named(id) => users[id.0 as usize].push(i),
                    _ => {}
                }
            }
        }
        for u in &mut users {
            u.sort_unstable();
            u.dedup();
        }
        users
    }

    /// Applies `update` (which merges the traits derived from a
    /// definition's parts into its current ones and says whether they
    /// changed) until nothing changes. A worklist: only the users of a
    /// definition that changed are looked at again, so a long chain of
    /// structs holding each other costs a pass per change, not a pass over
    /// every definition per link. `update` moves each flag one way only,
    /// so this ends.
    fn fixpoint(&mut self, users: &[Vec<usize>], update: impl Fn(&mut Traits, Traits) -> bool) {
        let n = self.program.defs.len();
        let mut queue: std::collections::VecDeque<usize> = (0..n).collect();
        let mut queued = vec![true; n];
        while let Some(i) = queue.pop_front() {
            queued[i] = false;
            let Some(t) = self.derived_traits(DefId(i as u32)) else {
                continue;
            };
            if update(&mut self.defs[i].traits, t) {
                for &u in &users[i] {
                    if !queued[u] {
                        queued[u] = true;
                        queue.push_back(u);
                    }
                }
            }
        }
    }

    /// The traits a definition gets from its parts under the current table;
    /// `None` for definitions without a fixed set (enums, consts, services).
    fn derived_traits(&self, id: DefId) -> Option<Traits> {
        let def = self.program.def(id);
        match &def.kind {
            DefKind::Typedef(t) => {
                let path = self.def_path(id);
                Some(self.traits_of(&t.target, self.pref_for(&path)))
            }
            DefKind::Struct(s) => {
                let mut acc = Traits::ALL;
                let base = self.def_path(id);
                for (j, f) in s.fields.iter().enumerate() {
                    let mut path = base.clone();
                    path.push(&f.name.name);
                    let t = self.traits_of(&f.ty, self.pref_for(&path));
                    acc.eq &= t.eq;
                    acc.hash &= t.hash;
                    acc.partial_ord &= t.partial_ord;
                    acc.default &= t.default
                        || self.req_of(id.0 as usize, j, f) == Requiredness::Optional
                        || (f.default.is_some() && s.kind != StructKind::Union);
                }
                if s.kind == StructKind::Union {
                    acc.default = false;
                }
                Some(acc)
            }
            DefKind::Enum(_) | DefKind::Senum(_) | DefKind::Const(_) | DefKind::Service(_) => None,
        }
    }

    /// Traits of a struct that is not a definition (function args/results).
    pub(super) fn struct_traits(&self, fields: &[Field], union: bool) -> Traits {
        let mut acc = Traits::ALL;
        for f in fields {
            let t = self.ty_traits(&f.ty);
            acc.eq &= t.eq;
            acc.hash &= t.hash;
            acc.partial_ord &= t.partial_ord;
            acc.default &= t.default || f.is_optional() || f.default.is_some();
        }
        if union {
            acc.default = false;
        }
        acc
    }

    fn ty_traits(&self, ty: &Ty) -> Traits {
        match ty {
            Ty::Bool
            | Ty::I8
            | Ty::I16
            | Ty::I32
            | Ty::I64
            | Ty::String
            | Ty::Binary
            | Ty::ByteString
            | Ty::Bytes
            | Ty::SmallString
            | Ty::Uuid => Traits::ALL,
            Ty::Double => Traits {
                eq: false,
                hash: false,
                partial_ord: true,
                default: true,
            },
            Ty::List(e) => Traits {
                default: true,
                ..self.ty_traits(e)
            },
            Ty::Set(c, e) => self.coll_traits(*c, self.ty_traits(e), Traits::ALL),
            Ty::Map(c, k, v) => self.coll_traits(*c, self.ty_traits(k), self.ty_traits(v)),
            Ty::Named(id) => self.defs[id.0 as usize].traits,
        }
    }
}

/// The collection for a set element (map key) with traits `t`.
pub(super) fn coll_for(t: Traits, pref: Pref) -> Coll {
    match pref {
        Pref::Wire => Coll::Vec,
        _ if !(t.eq && t.hash) => Coll::Vec,
        Pref::BTree if t.partial_ord => Coll::BTree,
        _ => Coll::Hash,
    }
}
