"""The app's pages, grouped as in the course. The home page lists them too.

Each entry: (section, file in app_pages/, title, icon, url path, what it teaches).
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["PageInfo", "SECTIONS", "PAGES"]


class PageInfo(NamedTuple):
    section: str
    file: str
    title: str
    icon: str
    url_path: str
    teaches: str


SECTIONS = ("Lessons", "Imaging", "Basics", "Convolutions", "Optimisation", "Segmentation", "Detection", "Attention")

PAGES: list[PageInfo] = [
    # --- Lessons: a whole lecture as an ordered path through the pages
    PageInfo("Lessons", "lessons.py", "Lessons", ":material/school:", "lessons",
             "Each lecture (000-004) as an ordered path through the pages with prepared settings, next and "
             "previous, each step naming the slide it follows; presenter mode for a projector."),
    # --- Imaging: what a scan is before any network sees it
    PageInfo("Imaging", "medical_images.py", "Medical images", ":material/radiology:", "medical-images",
             "Real CT, radiographs, MR, ultrasound and a SEG from pydicom's corpus: Hounsfield units, windows, "
             "millimetres, frames, masks and overlays, and your own DICOM."),
    PageInfo("Imaging", "preprocessing.py", "Preprocessing and augmentation", ":material/tune:", "preprocessing",
             "What happens to an image before a network sees it: windowing, normalisation, resizing, "
             "augmentation with Keras layers, and a CNN trained with and without it."),
    PageInfo("Imaging", "volumes.py", "Volumes", ":material/view_in_ar:", "volumes",
             "CT and MR as volumes: three planes with a crosshair at true spacing, MIP and a slice montage; a 3-D "
             "CNN trained live with 3-D Grad-CAM, and 2-D slices against 3-D on one task."),
    PageInfo("Basics", "neuron.py", "The sigmoid neuron", ":material/neurology:", "neuron",
             "The lecture's stroke neuron term by term, activation functions, and how the threshold moves "
             "the confusion matrix along the ROC curve."),
    PageInfo("Basics", "mlp_playground.py", "MLP playground", ":material/scatter_plot:", "playground",
             "Train a small network live on 2-D data: decision boundary, every hidden neuron, parameter counts."),
    PageInfo("Basics", "backprop.py", "Backpropagation by hand", ":material/account_tree:", "backprop",
             "The forward and backward pass of a 2-2-1 net written out as in the lecture, beside the numbers "
             "tf.GradientTape computes."),
    PageInfo("Basics", "layers_as_matrices.py", "Layers as matrices", ":material/data_array:", "matrices",
             "a = σ(Wx + b) with a real network's W, b and x as matrices; f = f[2](f[1](x)) layer by layer; do "
             "inputs interact in one hidden layer (xor and a product term)?"),
    PageInfo("Basics", "universal_approximation.py", "Universal approximation", ":material/show_chart:",
             "universal-approximation",
             "One hidden layer of N neurons fits a curve better as N grows; depth against width at one "
             "parameter budget."),
    PageInfo("Basics", "cross_entropy.py", "Cross-entropy", ":material/functions:", "cross-entropy",
             "Binary and categorical cross-entropy written out, softmax with a temperature, pixel-wise "
             "cross-entropy over a mask, and why it trains a saturated sigmoid where squared error stalls."),
    PageInfo("Basics", "gradient_descent.py", "Gradient descent", ":material/trending_down:", "gradient-descent",
             "Gradient descent from one weight to Adam: lecture 003's y = w·x and its three losses, rise over "
             "run beside the derivative, question 5 on a surface with a worse local minimum, optimizer paths, "
             "full-batch vs mini-batch vs SGD."),
    PageInfo("Basics", "overfitting.py", "Overfitting and model size", ":material/stacked_line_chart:",
             "overfitting",
             "Train and validation curves as capacity and data change; L2, dropout, early stopping and "
             "augmentation compared; the 196,610,001-parameter dense net against a conv net."),
    PageInfo("Basics", "bases.py", "Bases: PCA, Fourier, neurons", ":material/stacked_bar_chart:", "bases",
             "Lecture 004's foundations: images from a few principal components, 5 cos x + 7 cos 2x + cos 4x "
             "recovered by least squares beside a neural fit, supervised vs unsupervised."),
    PageInfo("Basics", "train_any.py", "Train a course model", ":material/model_training:", "train",
             "Train any of the course's models on its built-in data, live, and see which device trained it."),
    # --- Convolutions
    PageInfo("Convolutions", "kernels.py", "Kernels and convolution", ":material/grid_on:", "kernels",
             "Slide the lecture's kernels over a real head CT (brain and bone windows), radiographs and MR; "
             "one output value step by step; "
             "padding, stride, dilation; why conv layers need so few parameters."),
    PageInfo("Convolutions", "convolution_1d.py", "1-D convolution and the flip", ":material/earthquake:",
             "convolution-1d",
             "A kernel slid along an ECG-like trace, and cross-correlation against convolution (the kernel "
             "flip) on the lecture's 3×3 example."),
    PageInfo("Convolutions", "pooling.py", "Pooling and CAM", ":material/grid_view:", "pooling",
             "Max and average pooling on a real scan, stride-2 convolution against pooling, global average "
             "against global max pooling, and class activation maps (CAM) equal to Grad-CAM on a GAP head."),
    PageInfo("Convolutions", "cnn.py", "A CNN learns its filters", ":material/filter_center_focus:", "cnn",
             "Train a CNN on lesion images and watch its filters and feature maps change every epoch; "
             "predictions, confusion matrix, transfer learning."),
    PageInfo("Convolutions", "receptive_fields.py", "Receptive fields", ":material/center_focus_strong:",
             "receptive-fields",
             "How far one unit sees: the analytic receptive field of any conv net, in millimetres on a real "
             "scan, and its effective, gradient-based field."),
    # --- Optimisation: loss landscapes and residual connections
    PageInfo("Optimisation", "loss_landscape.py", "Loss landscapes", ":material/landscape:", "loss-landscape",
             "The loss around trained weights in 1-D, 2-D and 3-D, and the optimiser's path across it."),
    PageInfo("Optimisation", "residual.py", "Residual connections", ":material/alt_route:", "residual",
             "Plain vs residual nets of the same depth: degradation, vanishing gradients, smoother landscapes."),
    # --- Segmentation
    PageInfo("Segmentation", "segmentation.py", "U-Net segmentation", ":material/blur_on:", "segmentation",
             "Train a U-Net live; Dice against cross-entropy and the class-imbalance trap; the lecture's Dice "
             "table and its squared form; transposed convolution and upsampling, and dilated convolution (a wider "
             "receptive field, no upsampling); skip connections; feature maps; real scans and a DICOM SEG."),
    # --- Detection
    PageInfo("Detection", "detection.py", "Object detection", ":material/select_all:", "detection",
             "Boxes, IoU against Dice, non-max suppression step by step, a detector trained live, and detection "
             "measured as medicine measures it: AP at low IoU and FROC."),
    # --- Attention
    PageInfo("Attention", "attention.py", "Attention over words and patches", ":material/visibility:", "attention",
             "Query, keys, softmax weights and context vector of the lecture's note; a classifier's attention "
             "sharpening onto the symptom word, and onto the nodule among image patches, live; lecture 003's "
             "question 7."),
    PageInfo("Attention", "saliency.py", "Where did the model look?", ":material/frame_inspect:", "saliency",
             "Grad-CAM and saliency maps over a lesion classifier's input: test images or your upload, and how "
             "often the heatmap's peak falls inside the nodule."),
    PageInfo("Attention", "trust.py", "When to trust a heatmap", ":material/verified:", "trust",
             "Occlusion, integrated gradients and Grad-CAM++ beside Grad-CAM and saliency; sanity checks with "
             "randomised weights and labels; deletion and insertion curves: which maps explain the classifier."),
    PageInfo("Attention", "shortcut.py", "Shortcut learning", ":material/warning:", "shortcut",
             "A CNN trained live on images where a hospital marker goes with the label: high accuracy, a heatmap "
             "on the marker, accuracy near chance without it, and the data fixed."),
]
