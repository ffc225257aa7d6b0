"""Photo files: read a photo (a huge one at a fraction of its size), draw its faces' keypoints, and write the
drawing and a JSON record of them (predict.py)."""
import json
import sys

import cv2
import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS

READ_SIDE = 4096  # a photo larger than this is decoded at 1/2, 1/4 or 1/8 scale


def read_photo(photo, max_pixels=50_000_000):
    """(BGR image, factor): a photo over READ_SIDE pixels a side is decoded at 1/2, 1/4 or 1/8 of its size
    (factor; a JPEG decodes straight to it, other formats whole, then shrink), so a huge photo costs little
    memory. Refused before decoding: a photo that would decode to more than max_pixels (a PNG's size from its
    header; other formats but JPEG: the longer side squared), and a JPEG or PNG cut off before its end
    marker (OpenCV would decode the missing part as gray and predict on it)."""
    with open(photo, "rb") as file:
        data = file.read()
    side = longest_side(photo)
    factor = next((f for f in (1, 2, 4) if side <= READ_SIDE * f), 8)
    jpeg, png = data[:3] == b"\xff\xd8\xff", data[:8] == b"\x89PNG\r\n\x1a\n"
    if png and len(data) >= 24:  # IHDR: width and height, big-endian
        pixels = int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")
    else:
        pixels = (-(-side // factor) if jpeg else side) ** 2
    if pixels > max_pixels:
        raise DataError(f"{photo}: would decode to {pixels / 1e6:.0f} million pixels, more than the "
                        f"{max_pixels / 1e6:.0f} million a photo may take; make it smaller first")
    scan = 2  # a JPEG's end marker FFD9 comes after its first scan (SOS, FFDA); headers before it may hold one
    while jpeg and scan + 4 <= len(data) and data[scan] == 0xFF and data[scan + 1] != 0xDA:
        scan += 1 if data[scan + 1] == 0xFF else 2 + int.from_bytes(data[scan + 2:scan + 4], "big")
    if (jpeg and b"\xff\xd9" not in data[scan:]) or (png and b"IEND\xaeB`\x82" not in data[-256:]):
        raise DataError(f"{photo}: cut off (the {'JPEG' if jpeg else 'PNG'} end marker is missing); copy or "
                        "download it again")
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
             8: cv2.IMREAD_REDUCED_COLOR_8}
    color = cv2.imread(str(photo), flags[factor])
    if color is None:
        raise DataError(f"{photo}: not an image OpenCV can read")
    return color, factor


def longest_side(photo):
    """The photo's longer side in pixels from its header (Pillow decodes no pixels); 0 if Pillow cannot tell."""
    from PIL import Image
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # its decompression-bomb check: nothing is decoded
    try:
        with Image.open(photo) as image:
            return max(image.size)
    except (OSError, ValueError):
        return 0
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def draw(color, found):
    """Each face's box and keypoints drawn into a BGR image."""
    radius = max(2, min(color.shape[:2]) // 150)
    for face in found:
        x0, y0, side = face.box
        cv2.rectangle(color, (x0, y0), (x0 + side, y0 + side), (255, 200, 0), max(1, radius // 2))
        for px, py in np.asarray(face.keypoints).reshape(-1, 2):
            cv2.circle(color, (int(round(px)), int(round(py))), radius, (0, 0, 255), -1)


def write_png(path, image):
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")


def annotate_photo(photo, png, record, pipeline):
    """A photo's faces drawn into png and listed (box and keypoints in the photo's pixels) in the JSON record,
    both written atomically. Returns the number of faces (none: nothing is written)."""
    from facial_keypoints.paths import write_atomic, write_text
    color, factor = read_photo(photo)
    found = pipeline.faces(color)
    if not found:
        print(f"{photo}: no face found", file=sys.stderr)
        return 0
    listed = []
    for face in found:
        in_photo = (face.keypoints + 0.5) * factor - 0.5  # from the reduced decode back to the photo's pixels
        named = {c[:-2]: [round(float(in_photo[i]), 2), round(float(in_photo[i + 1]), 2)]
                 for i, c in enumerate(COLUMNS) if c.endswith("_x")}
        x0, y0, side = face.box
        listed.append({"box": [x0 * factor, y0 * factor, side * factor, side * factor], "keypoints": named,
                       "passes": face.passes, "score": round(face.score, 3)})
    draw(color, found)
    png.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(png, lambda tmp: write_png(tmp, color))
    write_text(record, json.dumps({"photo": str(photo), "run": str(pipeline.run), "faces": listed}, indent=2) + "\n")
    scaled = f" (read at 1/{factor} scale)" if factor > 1 else ""
    print(f"{photo}: {len(listed)} face(s){scaled} -> {png}, {record}")
    return len(listed)

