"""The playground page: plain HTML, CSS and JavaScript (a package so the files install with it)."""
