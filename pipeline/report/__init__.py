"""``newspipe report``: the coverage and copy report as one self-contained HTML file."""
