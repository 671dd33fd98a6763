"""Home: what each page teaches, the device in use, the built-in data."""
from pathlib import Path

import streamlit as st

from app_pages.registry import PAGES, SECTIONS
from models.device import device_summary_without_loading

__all__: list[str] = []  # a page: widgets and text, nothing to import

st.title("medlens")
st.markdown(
    "**Deep learning for medical imaging, explained on real Keras models.** "
    "Every page trains a real model live on your machine and shows what it learns: "
    "decision boundaries, kernels and feature maps, receptive fields, loss landscapes, "
    "attention and saliency. Everything runs offline on built-in data."
)
st.info(f"**Device:** {device_summary_without_loading()}", icon=":material/memory:")

st.header("Pages")
for section in SECTIONS:
    entries = [p for p in PAGES if p.section == section and (Path(__file__).parent / p.file).exists()]
    if not entries:
        continue
    st.subheader(section)
    for p in entries:
        st.page_link(f"app_pages/{p.file}", label=p.title, icon=p.icon)
        st.caption(p.teaches)

st.header("Built-in data")
st.markdown(
    """
| data | what it is | source |
| --- | --- | --- |
| stroke patients | the lecture's two patients and the neuron b = −71.2, w = (0.1, 0.3, 1.1, 0.5), plus a synthetic cohort | course (lecture 003) |
| height / weight | P1–P5 of lecture 000 | course |
| 2-D points | circle, xor, gauss, spiral, moons | generated |
| breast cancer, digits | Wisconsin diagnostic and 8×8 digits | scikit-learn |
| real scans | head and abdominal CT in Hounsfield units, chest and leg radiographs, shoulder and liver MR, a 10-frame head MR, Doppler ultrasound, a bone scan, a liver DICOM SEG (`models.data.SCANS`) | pydicom's test files and pydicom-data |
| CT, MR | `CT_small.dcm`, `MR_small.dcm` | pydicom test data |
| retina, microaneurysms, cells, phantom | real and phantom images | scikit-image |
| lesions | X-ray-like images with or without a nodule | generated |
| segmentation | images with lesions and their masks | generated |
| clinical notes | short notes where one word carries the label | generated |
| MedMNIST | your own `.npz` files in `$MEDMNIST_DIR` or `~/.medmnist` (never downloaded) | optional |
"""
)
st.caption("Settings of every page live in the URL: copy the address bar to share a prepared demo.")
