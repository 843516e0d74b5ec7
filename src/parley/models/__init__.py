"""Model artifacts: the ``.tar.gz`` a training writes and a server loads, its manifest, and
bringing a trained pipeline back from it without running any code the file holds."""
