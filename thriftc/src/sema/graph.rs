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
        self.warn_required_cycles(&field_targets);
    }

    /// A cycle of `required` fields (struct to struct, not through a
    /// container or a union) means every value holds another forever: none
    /// can be built, and none can be read, since an encoding must end.
    /// Warned at each such field. (A field with no keyword on a cycle may
    /// be absent: code generation makes it an `Option`.)
    fn warn_required_cycles(&mut self, field_targets: &[Vec<Option<usize>>]) {
        let n = self.defs.len();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut links: Vec<(usize, usize, usize)> = Vec::new();
        for (i, targets) in field_targets.iter().enumerate() {
            let DefKind::Struct(s) = &self.defs[i].kind else {
                continue;
            };
            if s.kind == StructKind::Union {
                continue;
            }
            for (j, (f, target)) in s.fields.iter().zip(targets).enumerate() {
                if let (Some(t), Requiredness::Required) = (*target, f.req) {
                    edges[i].push(t);
                    links.push((i, j, t));
                }
            }
        }
        if links.is_empty() {
            return;
        }
        let component = strongly_connected(&edges);
        for (i, j, t) in links {
            if component[i] != component[t] {
                continue;
            }
            let DefKind::Struct(s) = &self.defs[i].kind else {
                continue;
            };
            let f = &s.fields[j];
            let owner = &self.defs[i].name.name;
            self.diags.push(
                Diagnostic::warning(format!(
                    "`{owner}` can never end: its `required` field `{}` leads back to it",
                    f.name.name
                ))
                .primary(f.name.span, "required on a cycle of required fields")
                .note("every value would hold another without end, so none can be built or read")
                .help("make one field on the cycle `optional`"),
            );
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
