#!/usr/bin/env python3
"""Every error about input bytes says where: an audit of the error paths of core/, formats/,
symbolizer/ and the command line (plugin/cli/, plugin/pipeline.cc).

An error is made by MakeErrorAt(offset, ...), ByteCursor::error_here, InputSource::ErrorAt or
the like, which carry the byte offset (the CLI prints `gcspike: FILE: byte N: ...`), or by
MakeError(...), which carries none. This script finds every MakeError call and every Error
built by hand in those sources, and fails with FILE:LINE for each one that is not in ALLOWED
below: the errors that are not about input bytes (usage errors, I/O errors that name the file,
model invariants, resource failures). Each ALLOWED entry must still match a call, so the list
cannot outlive the code it excuses.

usage: check_error_locations.py SOURCE_DIR    prints "N errors checked, M allowed", or the
                                             offending calls and exits 1
"""
import os
import re
import sys

SCOPE = ["core", "formats", "symbolizer", "plugin/cli", "plugin/pipeline.cc"]

# (file, regex matched against the call's text with whitespace collapsed, why it needs no
# byte offset). Keep each regex as narrow as the message it excuses.
ALLOWED = [
    # Usage errors: about the command line, not about any input's bytes.
    ("plugin/cli/args.cc", r".", "command-line parsing (unknown command or flag, bad value)"),
    ("plugin/cli/trace_flags.cc", r".", "flag range checks and trace-stats usage"),
    ("plugin/cli/input_limit_flags.cc", r"--max-", "--max-memory and --max-gzip-ratio values"),
    ("plugin/cli/detect_command.cc", r"--|gcspike report writes|ask for different outputs",
     "flag checks"),
    ("plugin/cli/diff_command.cc", r".", "gcspike diff's arguments and flags"),
    ("plugin/cli/output_flags.cc", r"takes integers", "a flag's value"),
    ("plugin/cli/fleet_flags.cc", r"--inputs-from|the list of inputs", "--inputs-from usage; "
     "an empty list names the list file"),
    ("plugin/cli/commands.cc", r"--gzip_level|-o is not used|--output-format is not used",
     "flag checks of gcspike pprof/convert"),
    ("plugin/pipeline.cc", r"no input given|can be named only once", "no input, or stdin twice"),
    ("core/profile_merge.cc", r"no profiles to merge", "merging nothing (a caller's error)"),
    # I/O and resources: the error names the file, URL or resource instead of an offset.
    ("formats/input_source.cc", r"cannot open|is a directory", "open(2)/fstat(2) of an input; "
     "names the file (e.file)"),
    ("formats/output_file.cc", r".", "writing the output file; names it"),
    ("formats/url_fetch.cc", r".", "fetching a URL input; names the URL (e.file)"),
    ("plugin/pipeline.cc", r"list of inputs", "reading --inputs-from; names the list file"),
    ("plugin/pipeline.cc", r"out of memory", "std::bad_alloc while decoding; names the input"),
    ("plugin/cli/commands.cc", r"temporary|fork failed", "gcspike pprof's temporary file and "
     "go tool pprof process"),
    ("core/sample_spool.cc", r"sample spool", "the spool's own temporary file (written by us)"),
    ("core/temp_file.cc", r"temporary file", "our own temporary files (spools and spills)"),
    ("formats/go_trace_v2_spill.cc", r"temporary file", "the trace batch spill's own file"),
    # The model's own counts: the pprof reader re-raises these at the sample's tag offset.
    ("core/distinct_samples.cc", r"distinct samples|add up past", "DistinctSamples::Add, "
     "called by the pprof reader, which names the sample's byte (MakeErrorAt(f.tag_offset, ...))"),
    ("formats/gzip_codec.cc", r"zlib: |isa-l: |out of memory while compressing", "zlib/ISA-L set-up and "
     "output compression failures (not about the input)"),
    ("symbolizer/elf_image.cc", r"MakeError\(\s*path_? \+|vDSO",
     "opening a binary named by a recording: the message starts with its path"),
    ("symbolizer/binary_locator.cc", r"MakeError\(\s*(candidate\.)?path \+",
     "finding and verifying that binary: the message starts with the candidate's path"),
    # Not about bytes: about the model, an address asked for, or a whole profile.
    ("core/profile.cc", r"invalid profile", "Profile::Validate, the model's invariants; a "
     "reader that returns a profile failing it has a bug (the fuzz targets abort on it)"),
    ("core/profile.cc", r"spooled samples into one model sample", "MaterializeSpool past "
     "--max-memory: the spool is read back after the input, so no input byte is being read; "
     "the callers name the input (e.file)"),
    ("formats/pprof_writer.cc", r"invalid profile", "the writer's check of the same invariants"),
    ("core/profile_merge.cc", r"cannot merge", "two whole profiles whose sample types differ; "
     "names the input (e.file)"),
    ("formats/folded_writer.cc", r"negative value|overflows", "a writer refusing a sample's "
     "values (names the sample; the CLI adds the input's name)"),
    ("formats/speedscope_writer.cc", r"negative value|overflow", "the same, for speedscope"),
    ("formats/viewer_frames.cc", r"negative value", "the same, in the sample walk both share"),
    ("symbolizer/go_pclntab.cc", r"address", "an address asked for outside the table or "
     "outside mapped memory: about the caller's address, not the table's bytes"),
]

CALL = re.compile(r"\bMakeError\(|\bError\s+\w+\s*;|\bError\s*\{")


def call_text(src, start):
    """The text from start to the parenthesis closing the call (string literals skipped)."""
    depth, i, in_str = 0, start, False
    while i < len(src):
        c = src[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return src[start:i + 1]
        elif c == ";" and depth == 0:
            return src[start:i + 1]
        i += 1
    return src[start:]


def sources(root):
    for scope in SCOPE:
        path = os.path.join(root, scope)
        if os.path.isfile(path):
            yield scope
            continue
        for dirpath, _, files in os.walk(path):
            for f in sorted(files):
                if f.endswith((".cc", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    root = sys.argv[1]
    used = [0] * len(ALLOWED)
    bad, checked = [], 0
    for rel in sources(root):
        src = open(os.path.join(root, rel), encoding="utf-8").read()
        for m in CALL.finditer(src):
            line = src.count("\n", 0, m.start()) + 1
            text = " ".join(call_text(src, m.start()).split())
            if rel in ("core/result.cc", "core/result.h"):
                continue  # the definitions themselves
            checked += 1
            hits = [i for i, (f, rx, _) in enumerate(ALLOWED) if f == rel and re.search(rx, text)]
            for i in hits:
                used[i] += 1
            if not hits:
                bad.append("%s:%d: an error without a byte offset: %s" % (rel, line, text[:110]))
    # The CLI names every input by its path, "<stdin>" or URL, never by a placeholder.
    for rel in sources(root):
        if rel != "core/result.cc" and "<input>" in open(os.path.join(root, rel)).read():
            bad.append("%s: names an input \"<input>\"" % rel)
    for i, n in enumerate(used):
        if n == 0:
            bad.append("ALLOWED entry %s /%s/ matches no call any more: remove it" %
                       ALLOWED[i][:2])
    if bad:
        print("\n".join(bad))
        print("Use MakeErrorAt/error_here with the offset, or, for an error that is not about "
              "input bytes, add a commented entry to ALLOWED in %s." % sys.argv[0])
        return 1
    print("%d errors without a byte offset, each allowed by one of %d entries" %
          (checked, len(ALLOWED)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
