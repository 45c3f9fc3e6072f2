//! Recursive types: which fields must be boxed.
//!
//! Draw an edge from a struct (union, exception) to every struct that one of
//! its fields holds directly, that is not through a `list`, `set` or `map`
//! (typedefs are followed). A value of a struct in a cycle of such edges
//! would contain itself, so every field on an edge inside a strongly
//! connected component (including a struct holding itself) is marked
//! [`crate::ir::Field::recursive`]. Containers add indirection already, so
//! `list<Tree>` inside `Tree` is not marked.

use super::resolve::Resolver;
use crate::diagnostic::Diagnostic;
use crate::ir::{DefKind, Requiredness, StructKind, TypeKind};
use crate::lint::Lint;

impl Resolver<'_> {
    pub(super) fn mark_recursive_fields(&mut self) {
        let n = self.defs.len();
        // Direct edges: struct -> struct held directly by a field.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut field_targets: Vec<Vec<Option<usize>>> = vec![Vec::new(); n];
        for (i, def) in self.defs.iter().enumerate() {
            let DefKind::Struct(s) = &def.kind else {
                continue;
            };
            for f in &s.fields {
                let t = self.resolve_typedefs(&f.ty);
                let target = match t.kind {
                    TypeKind::Named(id)
                        if matches!(self.defs[id.0 as usize].kind, DefKind::Struct(_)) =>
                    {
                        Some(id.0 as usize)
                    }
                    _ => None,
                };
                if let Some(t) = target {
                    edges[i].push(t);
                }
                field_targets[i].push(target);
            }
        }
        let component = strongly_connected(&edges);
        for (i, targets) in field_targets.iter().enumerate() {
            let DefKind::Struct(s) = &mut self.defs[i].kind else {
                continue;
            };
            for (f, target) in s.fields.iter_mut().zip(targets) {
                if let Some(t) = *target {
                    f.recursive = component[t] == component[i];
                }
            }
        }
        self.warn_required_cycles(&field_targets, &component);
    }

    /// Structs that can never end: every value would hold another without
    /// end, so none can be built, and none read (an encoding must end).
    /// Which definitions have a finite value is a least fixpoint: a struct
    /// or exception when every field that must be present (`required`, or
    /// with no keyword and not recursive: those may be absent, see
    /// `codegen::plan`) holds one, a union when any member does; other
    /// types, containers included, always have one. Warned at each
    /// `required` field that leads back, through types with no finite
    /// value, to its own struct (`component`: the strongly connected
    /// components of struct-to-struct fields).
    fn warn_required_cycles(&mut self, field_targets: &[Vec<Option<usize>>], component: &[usize]) {
        let n = self.defs.len();
        // Linear: each struct counts the fields it still waits for; a
        // definition that gains a finite value tells the ones holding it.
        let mut finite: Vec<bool> = vec![false; n];
        let mut waiting: Vec<usize> = vec![0; n];
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut ready: Vec<usize> = Vec::new();
        for (i, def) in self.defs.iter().enumerate() {
            let DefKind::Struct(s) = &def.kind else {
                ready.push(i);
                continue;
            };
            let targets = &field_targets[i];
            if s.kind == StructKind::Union {
                if targets.iter().any(Option::is_none) {
                    ready.push(i);
                } else {
                    // Finite once any member is.
                    waiting[i] = 1;
                    targets.iter().flatten().for_each(|&t| users[t].push(i));
                }
                continue;
            }
            for (f, t) in s.fields.iter().zip(targets) {
                let must = f.req == Requiredness::Required
                    || (f.req == Requiredness::Default && !f.recursive);
                if let (true, Some(t)) = (must, *t) {
                    waiting[i] += 1;
                    users[t].push(i);
                }
            }
            if waiting[i] == 0 {
                ready.push(i);
            }
        }
        while let Some(t) = ready.pop() {
            if finite[t] {
                continue;
            }
            finite[t] = true;
            for &u in &users[t] {
                if !finite[u] && waiting[u] > 0 {
                    waiting[u] -= 1;
                    if waiting[u] == 0 {
                        ready.push(u);
                    }
                }
            }
        }
        for i in 0..n {
            let DefKind::Struct(s) = &self.defs[i].kind else {
                continue;
            };
            if finite[i] || s.kind == StructKind::Union {
                continue;
            }
            let owner = &self.defs[i].name.name;
            let mut warnings = Vec::new();
            for (f, t) in s.fields.iter().zip(&field_targets[i]) {
                let Some(t) = *t else { continue };
                if f.req != Requiredness::Required || finite[t] || component[t] != component[i] {
                    continue;
                }
                warnings.push(
                    Diagnostic::warning(format!(
                        "`{owner}` can never end: its `required` field `{}` leads back to it",
                        f.name.name
                    ))
                    .lint(Lint::EndlessCycle)
                    .primary(f.name.span, "required on a cycle that cannot end")
                    .note(
                        "every value would hold another without end, so none can be built or read",
                    )
                    .help("make one field on the cycle `optional`"),
                );
            }
            for w in warnings {
                self.diags.push(w);
            }
        }
    }
}

/// Tarjan's algorithm, iterative: the component number of every node.
pub(crate) fn strongly_connected(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![NONE; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    for start in 0..n {
        if index[start] != NONE {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next_index;
        low[start] = next_index;
        next_index += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut e)) = call.last_mut() {
            if *e < edges[v].len() {
                let w = edges[v][*e];
                *e += 1;
                if index[w] == NONE {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component[w] = next_component;
                        if w == v {
                            break;
                        }
                    }
                    next_component += 1;
                }
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::strongly_connected;

    #[test]
    fn components_group_cycles() {
        // 0 -> 1 -> 0, 2 -> 2, 3 -> 0
        let c = strongly_connected(&[vec![1], vec![0], vec![2], vec![0]]);
        assert_eq!(c[0], c[1]);
        assert_ne!(c[0], c[2]);
        assert_ne!(c[3], c[0]);
    }
}
