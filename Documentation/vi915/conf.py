# SPDX-License-Identifier: GPL-2.0
# Minimal Sphinx configuration to build these pages on their own (make docs);
# in a kernel tree they would sit under Documentation/gpu/.
project = "vi915"
master_doc = "index"
exclude_patterns = []
