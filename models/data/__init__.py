"""Built-in, offline data for the course: tables, 2-D points, images, synthetic X-rays, notes.

Everything here is deterministic given ``seed`` and never touches the network.
Only NumPy is imported when this package loads; scikit-learn, scikit-image,
SciPy, pydicom and Pillow are imported inside the functions that need them, so
the app's home page can import it instantly. One module per kind of data:

==================  ======================================================
``tables``          the lecture's tables (stroke neuron, height/weight),
                    scikit-learn's breast-cancer table and digits
``points``          two-class 2-D points (TensorFlow-Playground style)
``images``          built-in images, image files, DICOM, uploads
``scans``           real clinical scans in modality units (HU), windows
``xray``            synthetic chest-like images with nodules or lesion masks
``notes``           synthetic clinical notes
``medmnist``        MedMNIST from local ``.npz`` files (never downloads)
``split``           training and test parts
``nodules3d``       synthetic lung-like volumes with or without a spherical nodule
``volumes``         CT and MR volumes: NIfTI, multi-frame DICOM, DICOM series
``boxes``           synthetic chest images with 0-3 nodules: boxes, labels, instance masks
``signals``         ECG-like 1-D traces (P, QRS, T waves)
``augmentation``    seeded augmentation: Keras layers, MR bias field and motion ghosting
==================  ======================================================

Conventions (what every function returns):

* images are ``float32`` in ``[0, 1]``;
* image *sets* are ``(n, H, W, 1)`` (channels-last, ready for Keras);
* class labels are ``int64``.

Example:
    >>> from models.data import make_lesions, stroke_patients
    >>> p = stroke_patients()
    >>> [round(float(v), 3) for v in p.probability()]
    [0.87, 0.037]
    >>> images, labels, centres, radii = make_lesions(8, seed=0)
    >>> images.shape, images.dtype.name, labels.dtype.name
    ((8, 64, 64, 1), 'float32', 'int64')
"""
from __future__ import annotations

from models.data.augmentation import AUGMENTATIONS, augment, bias_field, motion_ghosting
from models.data.boxes import NoduleBoxes, make_nodule_boxes
from models.data.images import IMAGE_NAMES, MAX_PIXELS, dicom_frame_count, load_image, load_image_bytes
from models.data.medmnist import (MEDMNIST_3D_SIZES, MEDMNIST_SIZES, MEDMNIST_URL, load_medmnist, load_medmnist_choice,
                                   medmnist_available, medmnist_choices)
from models.data.notes import (CLASS_NAMES, CONDITIONS, DRUGS, SYMPTOMS, ClinicalNotes, encode_note,
                               make_clinical_notes)
from models.data.nodules3d import make_nodules3d
from models.data.points import POINT_KINDS, make_points
from models.data.scans import (SCANS, WINDOWS, Scan, ScanInfo, default_window, load_scan, load_upload, scan_file,
                               scan_input, window)
from models.data.signals import ECG_WAVES, EcgTrace, make_ecg
from models.data.split import train_test_split_arrays
from models.data.tables import (HeightWeightTable, StrokePatients, height_weight_table, load_breast_cancer,
                                load_digits, make_stroke, sigmoid, stroke_patients)
from models.data.volumes import VOLUMES, Volume, VolumeInfo, load_volume
from models.data.xray import (SHORTCUT_MARKERS, TRANSFER_SHAPES, make_digits_task, make_lesions, make_segmentation,
                              make_shapes_task, make_spots_task)

from models.data import augmentation, boxes, images, medmnist, nodules3d, notes, points, scans, signals, split, tables, volumes, xray  # noqa: E402  (the modules)

# Every module's public names, listed once there (tests check the two agree).
__all__ = [*tables.__all__, *points.__all__, *images.__all__, *scans.__all__, *xray.__all__, *notes.__all__,
           *medmnist.__all__, *split.__all__, *augmentation.__all__,
           *signals.__all__, *boxes.__all__, *volumes.__all__,
           *nodules3d.__all__]
