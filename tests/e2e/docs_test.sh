#!/usr/bin/env bash
# Every shell example of the documentation runs, and prints what the document says it prints
# (tests/docs/doc_examples.py: the normalisation, the inputs it provides, the examples it does
# not run and why). A changed output fails with a diff; scripts/update-docs rewrites the blocks.
source "$(dirname "$0")/lib.sh"
python3 "$SOURCE_DIR/tests/docs/doc_examples.py" check "$GCSPIKE" "$SOURCE_DIR"
# Every citation of docs/formats/ names a page and a section that exist; nothing cites notes
# outside the repository.
python3 "$SOURCE_DIR/tests/docs/check_citations.py" "$SOURCE_DIR"
