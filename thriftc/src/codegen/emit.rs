//! Emit: planned items to source files, and writing them.
//!
//! Each item is rendered as formatted text by a [`Writer`] (see
//! [`super::writer`] for how the text equals prettyplease's layout, and the
//! safety net that formats an item with prettyplease when the writer cannot
//! be sure), then the module's items are joined under the `@generated`
//! header. Files are written only when their content changed, so
//! timestamps stay put for build tools.

use super::items::{self, Ctx};
use super::plan::{Crate, Item};
use super::writer::{Stats, Writer};
use super::{Error, GeneratedFile};
use crate::ir;
use std::path::Path;

/// Version of thriftc, for the header.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How [`emit_with`] runs.
#[derive(Debug, Clone, Copy)]
pub struct EmitConfig {
    /// Format items the writer cannot lay out exactly with prettyplease
    /// (on by default; off only to test the direct path on its own).
    pub safety_net: bool,
    /// Most threads to render on.
    pub max_threads: usize,
}

impl Default for EmitConfig {
    fn default() -> Self {
        EmitConfig {
            safety_net: true,
            max_threads: MAX_THREADS,
        }
    }
}

/// Renders every module plus `mod.rs`.
pub fn emit(krate: &Crate, program: &ir::Program) -> Result<Vec<GeneratedFile>, Error> {
    emit_with(krate, program, EmitConfig::default()).map(|(files, _)| files)
}

/// [`emit`] with a configuration; also returns how the items were written.
///
/// Items are rendered on up to [`EmitConfig::max_threads`] threads, each
/// taking a run of consecutive items of about the same estimated size (each
/// item is laid out on its own, as prettyplease does), and joined in item
/// order, so the output does not depend on the thread count.
pub fn emit_with(
    krate: &Crate,
    program: &ir::Program,
    config: EmitConfig,
) -> Result<(Vec<GeneratedFile>, Stats), Error> {
    let jobs: Vec<(usize, usize)> = krate
        .modules
        .iter()
        .enumerate()
        .flat_map(|(mi, m)| (0..m.items.len()).map(move |ii| (mi, ii)))
        .collect();
    let weights: Vec<usize> = jobs
        .iter()
        .map(|&(mi, ii)| estimated_len(krate, &krate.modules[mi].items[ii]))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, config.max_threads.max(1))
        .min(jobs.len().max(1));
    // Contiguous shares of about the same estimated size, each written into
    // one buffer, so a module's text is copied at most once more.
    let total: usize = weights.iter().sum();
    let mut shares: Vec<std::ops::Range<usize>> = Vec::with_capacity(threads);
    let (mut begin, mut acc) = (0, 0);
    for (k, w) in weights.iter().enumerate() {
        acc += w;
        if acc * threads >= total * (shares.len() + 1) && shares.len() + 1 < threads {
            shares.push(begin..k + 1);
            begin = k + 1;
        }
    }
    shares.push(begin..jobs.len());
    let render = |r: std::ops::Range<usize>| {
        let capacity = weights[r.clone()].iter().sum::<usize>() + (4 << 10);
        render_share(krate, program, config, &jobs[r], capacity)
    };
    // Even a single share gets its own thread, for the stack size.
    let results: Vec<Share> = {
        std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .iter()
                .map(|r| {
                    let (start, end) = (r.start, r.end);
                    let work = move || render(start..end);
                    // syn and prettyplease (the safety net) recurse once per
                    // nesting level of a type; the default 2 MiB stack is too
                    // small for deep (but accepted) types in unoptimized
                    // build scripts.
                    std::thread::Builder::new()
                        .stack_size(THREAD_STACK)
                        .spawn_scoped(scope, work)
                        .map_err(|_| work)
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    // No thread to be had: do that share here.
                    Err(work) => work(),
                })
                .collect()
        })
    };

    // Per module, its segments in order (shares are in job order).
    let mut stats = Stats::default();
    let mut texts: Vec<Option<String>> = Vec::with_capacity(results.len());
    let mut segments: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); krate.modules.len()];
    let mut uses_rt = vec![false; krate.modules.len()];
    for (si, share) in results.into_iter().enumerate() {
        stats.items += share.stats.items;
        stats.reformatted += share.stats.reformatted;
        for seg in &share.segments {
            segments[seg.module].push((si, seg.start, seg.end));
            uses_rt[seg.module] |= seg.uses_rt;
        }
        texts.push(Some(share.text?));
    }

    let mut files = Vec::with_capacity(krate.modules.len() + 1);
    for (mi, module) in krate.modules.iter().enumerate() {
        let name = format!("{}.rs", module.name.unraw());
        let mut head = format!(
            "// @generated by thriftc {VERSION} from {}. Do not edit.\n\n",
            module.source_name
        );
        if uses_rt[mi] {
            head.push_str(&runtime_import(krate.runtime.as_str())?);
        }
        let segs = &segments[mi];
        let whole = |&(si, start, end): &(usize, usize, usize)| {
            start == 0 && texts[si].as_ref().is_some_and(|t| t.len() == end)
        };
        let contents = match segs.first() {
            // The module is all of one share's text: reuse that buffer.
            Some(first) if whole(first) => {
                let mut text = texts[first.0].take().unwrap_or_default();
                text.insert_str(0, &head);
                for &(si, start, end) in &segs[1..] {
                    text.push_str(&texts[si].as_deref().unwrap_or_default()[start..end]);
                }
                text
            }
            _ => {
                let len: usize = segs.iter().map(|(_, s, e)| e - s).sum();
                let mut text = String::with_capacity(head.len() + len);
                text.push_str(&head);
                for &(si, start, end) in segs {
                    text.push_str(&texts[si].as_deref().unwrap_or_default()[start..end]);
                }
                text
            }
        };
        files.push(GeneratedFile { name, contents });
    }
    let mut mods = String::new();
    for m in &krate.modules {
        // Users mount the folder under a name of their choosing, often the
        // IDL file's (`#[path = "gen/mod.rs"] mod tutorial;` for
        // `tutorial.thrift`): then the module has its parent's name, which
        // clippy's `module_inception` refuses under `-D warnings`.
        mods.push_str(&format!(
            "#[allow(clippy::module_inception)]\npub mod {};\n",
            m.name
        ));
    }
    files.push(GeneratedFile {
        name: "mod.rs".to_owned(),
        contents: format!("// @generated by thriftc {VERSION}. Do not edit.\n\n{mods}"),
    });
    Ok((files, stats))
}

/// `use <runtime>::__codegen as __rt;`: written directly for a plain path,
/// else formatted by prettyplease (the path is user text). Then the
/// version check: a constant that only a runtime able to run this code
/// has ([`version_check`]).
fn runtime_import(runtime: &str) -> Result<String, Error> {
    // A plain path, spelled canonically by the plan (`Code::path`).
    let line = format!("use {runtime}::__codegen as __rt;\n");
    let mut head = if super::writer::fits(0, line.len() - 1) {
        line
    } else {
        super::format::format_items(&line)?
    };
    head.push_str(&version_check(VERSION));
    Ok(head)
}

/// The line that makes code generated by this thriftc fail to compile
/// against a runtime of another release line, naming the line, rather than
/// deep inside an item: `const _: () = __rt::GENERATED_BY_THRIFTC_0_1;`.
/// The runtime defines the constant of each line whose code it runs (the
/// major version, or `0_minor` before 1.0, as cargo reads compatibility);
/// rustc points at the one it has when they differ.
fn version_check(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("0");
    let line = match major {
        "0" => format!("0_{}", parts.next().unwrap_or("0")),
        _ => major.to_owned(),
    };
    // No comment beside it: prettyplease, which every file must be a fixed
    // point of, drops comments.
    format!("const _: () = __rt::GENERATED_BY_THRIFTC_{line};\n")
}

/// Most threads [`emit`] uses.
pub const MAX_THREADS: usize = 8;

/// Stack size of [`emit`]'s threads: room for syn's and prettyplease's
/// recursion on the deepest type the parser accepts, in a debug build.
const THREAD_STACK: usize = 64 << 20;

/// The text of a run of consecutive items, rendered by one thread.
struct Share {
    text: Result<String, Error>,
    segments: Vec<Segment>,
    stats: Stats,
}

/// The part of a [`Share`]'s text that belongs to one module.
struct Segment {
    module: usize,
    start: usize,
    end: usize,
    uses_rt: bool,
}

fn render_share(
    krate: &Crate,
    program: &ir::Program,
    config: EmitConfig,
    jobs: &[(usize, usize)],
    capacity: usize,
) -> Share {
    let mut w = Writer::with_capacity(config.safety_net, capacity);
    let mut segments: Vec<Segment> = Vec::new();
    let mut k = 0;
    while k < jobs.len() {
        let mi = jobs[k].0;
        let ctx = Ctx::new(krate, program, mi);
        let start = w.len();
        while k < jobs.len() && jobs[k].0 == mi {
            render_item(&ctx, &mut w, &krate.modules[mi].items[jobs[k].1]);
            k += 1;
        }
        segments.push(Segment {
            module: mi,
            start,
            end: w.len(),
            uses_rt: ctx.uses_rt(),
        });
    }
    let stats = w.stats();
    Share {
        text: w.finish(),
        segments,
        stats,
    }
}

/// A rough size of an item's text, to share the work between threads and
/// size buffers.
fn estimated_len(krate: &Crate, item: &Item) -> usize {
    let fields = |s: &super::plan::Struct| 1_200 + 450 * s.fields.len();
    match item {
        Item::Struct(s) | Item::Union(s) => fields(s),
        Item::Enum(e) => 1_500 + 150 * e.values.len(),
        Item::Typedef(_) | Item::Const(_) => 100,
        Item::Service(s) => {
            // Each further server flavour (views, async, async views) adds
            // about as much again per function.
            let flavours = 1
                + usize::from(s.view.is_some())
                + s.async_names
                    .as_ref()
                    .map_or(0, |a| 1 + usize::from(a.view.is_some()));
            let per_fn: usize = s
                .functions
                .iter()
                .map(|f| 4_500 * flavours + fields(&f.args) + fields(&f.result))
                .sum();
            if krate.gen_client || krate.gen_server {
                3_000 + per_fn
            } else {
                0
            }
        }
    }
}

/// Writes one planned item (one or more Rust items).
pub fn render_item(ctx: &Ctx, w: &mut Writer, item: &Item) {
    match item {
        Item::Struct(s) => {
            items::structs::render_struct(ctx, w, s);
            items::views::render_views(ctx, w, s, false);
        }
        Item::Union(u) => {
            items::unions::render_union(ctx, w, u);
            items::views::render_views(ctx, w, u, true);
        }
        Item::Enum(e) => {
            items::enums::render_enum(ctx, w, e);
            if ctx.krate.views {
                items::views::render_self_view(ctx, w, e.name.as_str(), true);
            }
        }
        Item::Typedef(t) => items::consts::render_typedef(ctx, w, t),
        Item::Const(c) => items::consts::render_const(ctx, w, c),
        Item::Service(s) => items::services::render_service(ctx, w, s),
    }
}

/// How every file thriftc generates begins.
pub const GENERATED_MARK: &str = "// @generated by thriftc";

/// Whether `path` may be written: it does not exist, is empty, or begins
/// with [`GENERATED_MARK`]. A file the user wrote (an output folder can hold
/// hand-written code too) is an `AlreadyExists` error naming it. Also
/// returns the old content, if any.
pub fn may_overwrite(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let old = match std::fs::read(path) {
        Ok(old) => old,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if old.is_empty() || old.starts_with(GENERATED_MARK.as_bytes()) {
        return Ok(Some(old));
    }
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!(
            "`{name}` there was not generated by thriftc (its first line is not \
             `{GENERATED_MARK} ...`) and is left as it is; move it away or choose another \
             output folder"
        ),
    ))
}

/// The `.rs` files in `dir` that thriftc generated (they begin with
/// [`GENERATED_MARK`]) but that are not among `files`: modules of IDL files
/// no longer compiled. Sorted by name; none when `dir` does not exist.
pub fn stale_generated(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.ends_with(".rs")
            || files.iter().any(|f| f.name == name)
            || !entry.file_type()?.is_file()
        {
            continue;
        }
        let mut head = [0u8; GENERATED_MARK.len()];
        let mut file = std::fs::File::open(entry.path())?;
        if std::io::Read::read_exact(&mut file, &mut head).is_ok()
            && head == GENERATED_MARK.as_bytes()
        {
            stale.push(name);
        }
    }
    stale.sort();
    Ok(stale)
}

/// Writes files into `dir` (created if missing), skipping those whose
/// content is unchanged. Refuses, before writing anything, to overwrite a
/// file that thriftc did not generate (see [`GENERATED_MARK`]). Returns the
/// names of the files written.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut changed = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        if may_overwrite(&path)?.is_none_or(|old| old != f.contents.as_bytes()) {
            changed.push((path, f));
        }
    }
    let mut written = Vec::new();
    for (path, f) in changed {
        std::fs::write(&path, &f.contents)?;
        written.push(f.name.clone());
    }
    Ok(written)
}

#[cfg(test)]
mod version_tests {
    #[test]
    fn the_check_names_the_release_line_cargo_reads() {
        for (version, line) in [
            ("0.1.0", "0_1"),
            ("0.12.3-beta.1", "0_12"),
            ("1.4.2", "1"),
            ("2.0.0+build", "2"),
        ] {
            let check = super::version_check(version);
            assert!(
                check.ends_with(&format!(
                    "const _: () = __rt::GENERATED_BY_THRIFTC_{line};\n"
                )),
                "{version}: {check}"
            );
        }
    }
}
