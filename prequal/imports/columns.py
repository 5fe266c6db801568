"""The columns of the SPU import's CSV file, and the downloadable template's example row."""

COLUMNS = (
    "spu_code", "spu_name", "technology", "max_up_kw", "max_down_kw",
    "gsrn", "connecting_so_eic", "bidding_zone", "voltage_level", "crs", "x", "y",
)
OPTIONAL_COLUMNS = ("crs",)  # missing: every row is in EPSG:4326
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
# The details that describe a connection point; they may be left empty on rows whose GSRN
# is already registered (or described on an earlier row).
POINT_COLUMNS = ("x", "y", "voltage_level", "bidding_zone")
TEMPLATE_ROW = {
    "spu_code": "BAT-0001", "spu_name": "Battery Hammarby 1", "technology": "battery",
    "max_up_kw": "500", "max_down_kw": "500", "gsrn": "735999000000000013",
    "connecting_so_eic": "10X1001A1001A38Y", "bidding_zone": "SE3", "voltage_level": "lv",
    "crs": "4326", "x": "18.0686", "y": "59.3293",
}
