//! Stage 1: reading files, following `include`s, include cycles, file order.

use super::{FileSystem, normalize};
use crate::ast;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One file read and parsed.
pub(super) struct SourceDoc {
    /// Canonical path.
    pub path: PathBuf,
    /// The file's own name (its module's, unless a namespace says
    /// otherwise); see [`file_stem`].
    pub stem: String,
    pub doc: ast::Document,
    /// Each `include` of the file, resolved to an index into
    /// [`Files::docs`], in source order.
    pub includes: Vec<Include>,
    /// The qualifiers of the file's includes that could not be read (not
    /// found, or unreadable): names under them may be defined in the file
    /// that is missing, so their uses are not reported again.
    pub lost: Vec<String>,
}

/// One `include` header, resolved.
#[derive(Clone, Debug)]
pub(super) struct Include {
    /// The file it names (an index into [`Files::docs`] once loading is
    /// done, into the load order before).
    pub file: usize,
    /// The prefix of qualified names that reach the file through this
    /// include: the stem of the path as the including file writes it. One
    /// file may be included under several names (a symbolic link, or the
    /// same file reached from different folders), each including file by
    /// its own.
    pub qualifier: String,
    /// The whole header.
    pub span: Span,
}

/// Every file of the program, in topological order (includes first).
pub(super) struct Files {
    pub sources: SourceMap,
    pub docs: Vec<SourceDoc>,
    /// Indices into `docs` of the files named by the user, in order.
    pub roots: Vec<usize>,
}

/// Reads the named files and everything they include, parses them, and
/// orders them includes-first. Errors (unreadable files, missing includes,
/// syntax errors, include cycles) go to `diags`; the named files that
/// could not be read go to `unreadable` too. A file with syntax errors
/// still has its includes read, and keeps the definitions that parsed.
pub(super) fn load_files(
    fs: &dyn FileSystem,
    files: &[PathBuf],
    include_dirs: &[PathBuf],
    diags: &mut Diagnostics,
    unreadable: &mut Vec<PathBuf>,
) -> Files {
    let mut sources = SourceMap::new();
    // Load order; `None` where the file failed to parse.
    let mut loaded: Vec<LoadedFile> = Vec::new();
    let mut by_path: HashMap<PathBuf, usize> = HashMap::new();
    let mut roots = Vec::new();
    // Every name each file is reached by: (load index, stem).
    let mut names: Vec<(usize, String)> = Vec::new();
    // Per file (load order): the qualifiers of its includes not read.
    let mut lost: Vec<Vec<String>> = Vec::new();

    let mut add = |path: &Path,
                   display: String,
                   sources: &mut SourceMap,
                   diags: &mut Diagnostics,
                   loaded: &mut Vec<LoadedFile>,
                   from: Option<Span>|
     -> Option<usize> {
        let canonical = fs.canonicalize(path).unwrap_or_else(|_| normalize(path));
        if let Some(&i) = by_path.get(&canonical) {
            return Some(i);
        }
        let text = match fs.read(path) {
            Ok(text) => text,
            Err(e) => {
                let mut d = Diagnostic::error(format!("cannot read `{display}`: {e}"));
                if let Some(span) = from {
                    d = d.primary(span, "included here");
                }
                diags.push(d);
                return None;
            }
        };
        let id = sources.add_with_display(&canonical, display, text);
        let doc = Some(crate::parse::parse(id, &sources.get(id).text, diags));
        let i = loaded.len();
        loaded.push((canonical.clone(), doc, Vec::new(), normalize(path)));
        by_path.insert(canonical, i);
        Some(i)
    };

    for file in files {
        let display = normalize(file).display().to_string();
        if !fs.is_input(file) {
            diags.push(Diagnostic::error(format!(
                "cannot read `{display}`: no such file"
            )));
            unreadable.push(file.clone());
            continue;
        }
        match add(file, display, &mut sources, diags, &mut loaded, None) {
            Some(i) => {
                if !roots.contains(&i) {
                    roots.push(i);
                }
                names.push((i, stem_of(file)));
            }
            None => unreadable.push(file.clone()),
        }
    }

    // Breadth-first over includes, in load order.
    let mut next = 0;
    while next < loaded.len() {
        let i = next;
        next += 1;
        let Some(doc) = &loaded[i].1 else { continue };
        let includes: Vec<(String, Span)> = doc
            .headers
            .iter()
            .filter_map(|h| match h {
                ast::Header::Include { path, span } => Some((path.clone(), *span)),
                _ => None,
            })
            .collect();
        // The folder of the path the file was found by (not the lossy
        // display text, which differs for names that are not UTF-8).
        let base = loaded[i]
            .3
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut resolved = Vec::new();
        let mut not_read = Vec::new();
        for (inc, span) in includes {
            let mut search: Vec<PathBuf> = vec![base.clone()];
            search.extend(include_dirs.iter().cloned());
            let found = search
                .iter()
                .map(|dir| dir.join(&inc))
                .find(|candidate| fs.is_file(candidate));
            match found {
                Some(candidate) => {
                    let display = normalize(&candidate).display().to_string();
                    if let Some(j) = add(
                        &candidate,
                        display,
                        &mut sources,
                        diags,
                        &mut loaded,
                        Some(span),
                    ) {
                        let qualifier = stem_of(Path::new(&inc));
                        names.push((j, qualifier.clone()));
                        resolved.push(Include {
                            file: j,
                            qualifier,
                            span,
                        });
                    } else {
                        not_read.push(stem_of(Path::new(&inc)));
                    }
                }
                None => {
                    let mut d = Diagnostic::error(format!("cannot find included file `{inc}`"))
                        .primary(span, "not found");
                    let dirs: Vec<String> = search
                        .iter()
                        .map(|d| {
                            let s = normalize(d).display().to_string();
                            if s.is_empty() { ".".to_string() } else { s }
                        })
                        .collect();
                    d = d.note(format!("searched in: {}", dirs.join(", ")));
                    if include_dirs.is_empty() {
                        d = d.help("add the folder that holds it with `-I DIR`");
                    }
                    diags.push(d);
                    not_read.push(stem_of(Path::new(&inc)));
                }
            }
        }
        loaded[i].2 = resolved;
        lost.resize(loaded.len(), Vec::new());
        lost[i] = not_read;
    }

    check_cycles(&loaded, &sources, diags);

    // Topological order: post-order DFS from the roots, includes in source
    // order; files only reachable otherwise (none) keep load order.
    let order = topo_order(&loaded, &roots);
    let mut new_index = vec![usize::MAX; loaded.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut names_of: Vec<Vec<&str>> = vec![Vec::new(); loaded.len()];
    for (i, name) in &names {
        names_of[*i].push(name);
    }
    let mut slots: Vec<Option<LoadedFile>> = loaded.into_iter().map(Some).collect();
    let mut docs = Vec::new();
    for &old in &order {
        let Some((path, doc, includes, _)) = slots[old].take() else {
            continue;
        };
        let Some(doc) = doc else { continue };
        let stem = file_stem(&path, &names_of[old]);
        docs.push(SourceDoc {
            path,
            stem,
            doc,
            lost: lost.get_mut(old).map(std::mem::take).unwrap_or_default(),
            includes: includes
                .into_iter()
                .map(|inc| Include {
                    file: new_index[inc.file],
                    ..inc
                })
                .collect(),
        });
    }
    Files {
        sources,
        docs,
        roots: roots.into_iter().map(|r| new_index[r]).collect(),
    }
}

/// The stem of a path (`shared` for `idl/shared.thrift`).
fn stem_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The name of a file as a whole (its module, its definitions' paths in
/// options and messages), chosen among the names it is reached by (the
/// paths the user named it by and the includes that name it) so that the
/// order of the files on the command line does not change it: the stem of
/// its canonical path when one of them is that, else the least. A file
/// reached only through a symbolic link is named by the link.
fn file_stem(canonical: &Path, names: &[&str]) -> String {
    let own = stem_of(canonical);
    if names.contains(&own.as_str()) {
        return own;
    }
    names.iter().min().map_or(own, |least| (*least).to_owned())
}

/// Canonical path, syntax tree (`None` after a syntax error), includes
/// (indices in load order), and the path the file was first found by
/// (normalized), whose folder its includes are searched in first.
type LoadedFile = (PathBuf, Option<ast::Document>, Vec<Include>, PathBuf);

/// Reports every include that closes a cycle.
fn check_cycles(loaded: &[LoadedFile], sources: &SourceMap, diags: &mut Diagnostics) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; loaded.len()];
    for start in 0..loaded.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index); `path` mirrors the stack.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            let edges = &loaded[node].2;
            if *edge < edges.len() {
                let (to, span) = (edges[*edge].file, edges[*edge].span);
                *edge += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::Active;
                        stack.push((to, 0));
                    }
                    Mark::Active => {
                        let pos = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut names: Vec<String> = stack[pos..]
                            .iter()
                            .map(|&(n, _)| display_of(loaded, sources, n))
                            .collect();
                        names.push(display_of(loaded, sources, to));
                        diags.push(
                            Diagnostic::error("include cycle")
                                .primary(span, "this include closes the cycle")
                                .note(format!("cycle: {}", names.join(" -> "))),
                        );
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

fn display_of(loaded: &[LoadedFile], sources: &SourceMap, n: usize) -> String {
    match &loaded[n].1 {
        Some(doc) => sources.get(doc.file).display.clone(),
        None => loaded[n].0.display().to_string(),
    }
}

/// Post-order DFS from each root in order (then any other file).
fn topo_order(loaded: &[LoadedFile], roots: &[usize]) -> Vec<usize> {
    let mut seen = vec![false; loaded.len()];
    let mut order = Vec::with_capacity(loaded.len());
    let starts = roots.iter().copied().chain(0..loaded.len());
    for start in starts {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            let edges = &loaded[node].2;
            if *edge < edges.len() {
                let to = edges[*edge].file;
                *edge += 1;
                if !seen[to] {
                    seen[to] = true;
                    stack.push((to, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}
