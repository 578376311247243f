# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of the vfio_ap (Rust) documentation.
# Build with tools/docs/build.sh (pinned Sphinx; warnings are errors).

project = "vfio_ap in Rust"
copyright = "the vfio_ap Rust authors, GPL-2.0"
author = "the vfio_ap Rust authors"

extensions = []
root_doc = "index"
exclude_patterns = ["_build"]
language = "en"

# The examples are shell sessions; nothing is highlighted by guessing.
highlight_language = "none"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = "vfio_ap in Rust"
html_show_sourcelink = False
html_last_updated_fmt = None
