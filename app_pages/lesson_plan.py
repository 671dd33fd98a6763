"""The lessons: each lecture of the course (000-004) as an ordered path through the app's pages.

Plain data, no Streamlit: ``LESSONS[lecture]`` is a :class:`Lesson` whose ``steps`` a teacher walks
through in order. A step names the part of the lecture it follows (``slide``: the slide's title or
the notes' section, as the lecture text in ``shared/course/`` has it), the page that shows it (its file
in ``app_pages/registry.py``), the URL settings that prepare the page (each key one the page reads with
``url_setting``; values as they appear in a URL), and one sentence of what to show. Pages that are
not written yet are allowed: the Lessons page shows their steps as "coming".

What this shows: a whole lecture can be run from the app, slide by slide, with each demo prepared.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

__all__ = ["Step", "Lesson", "LESSONS", "LESSON_MEMORY_KEY", "step_heading", "page_ready"]

LESSON_MEMORY_KEY = "medlens_lesson"   # session key: (lecture, step from 1) of the lesson being taught


class Step(NamedTuple):
    title: str                 # short: "the threshold"
    slide: str                 # the part of the lecture it follows, as the lecture names it
    page: str                  # the page's file in app_pages/ (an entry of registry.PAGES)
    settings: dict[str, str]   # URL settings: key -> value as written in a URL
    show: str                  # what to show, one or two sentences


class Lesson(NamedTuple):
    lecture: str               # "003"
    title: str                 # the lecture's own title
    source: str                # its file in shared/course/
    steps: tuple[Step, ...]


def step_heading(lesson: Lesson, index: int) -> str:
    """``"Lecture 003 · step 4 of 12: the threshold"`` for ``lesson.steps[index]`` (index from 0)."""
    if not 0 <= index < len(lesson.steps):
        raise ValueError(f"index must be 0 to {len(lesson.steps) - 1} for lecture {lesson.lecture}, got {index}")
    return f"Lecture {lesson.lecture} · step {index + 1} of {len(lesson.steps)}: {lesson.steps[index].title}"


def page_ready(page: str) -> bool:
    """Whether the page's file exists (the app lists a registered page only once it does)."""
    return (Path(__file__).parent / page).exists()


_EX000 = "3×3 input ⋆ 2×2 kernel (lecture 000)"   # the kernels page's names of the worked examples
_EX003 = "6×6 input ⋆ vertical edge (lecture 003)"

LECTURE_000 = Lesson("000", "Deep Learning & Biomedical imaging (lecture notes)", "000_fd49972716778da2.txt", (
    Step("input, hidden and output layers", "§1 What is deep learning?", "mlp_playground.py",
         {"mlp_data": "circle", "mlp_hidden": "4"},
         "The input layer takes the two coordinates, one hidden layer of 4 neurons does the calculation, the "
         "output layer gives the class. Click Train: that is the training process; the test accuracy on "
         "points the net never saw is the testing process of §1."),
    Step("the height/weight table", "§2 How does deep learning help in disease screening (the P1–P5 table)",
         "mlp_playground.py", {"mlp_data": "height/weight table", "mlp_hidden": "4"},
         "P1–P4 are the labelled people, the open star is P5 (0.4583, 0.6667). Train the net with a hidden "
         "layer of size 4 and read its p(M) for P5; the parameter table counts 2·4 + 4 = 12 from the input "
         "to the hidden layer."),
    Step("when the relation is not linear", "§2 logistic regression and a relation that may not be linear",
         "mlp_playground.py", {"mlp_data": "circle", "mlp_hidden": "0"},
         "Hidden layers 0 is logistic regression: on the circle it can only draw one straight boundary. "
         "Train, then set the hidden layer to 4 and train again to see a hidden layer bend the boundary."),
    Step("196,610,001 parameters", "§3 Potential problem of fully connected network", "kernels.py",
         {"kern_side": "256", "kern_c": "3", "kern_hidden": "1000"},
         "Scroll to 'Why convolution: parameters': a dense net 256·256·3 → 1000 → 1 has the lecture's "
         "196,610,001 parameters; a 3×3 conv layer beside it needs a few thousand, whatever the image size."),
    Step("complex models overfit", "§3 'Complex model may leads to overfitting'", "overfitting.py",
         {"of_vary": "Hidden nodes"},
         "Section 3, 'Capacity and data': training against validation curves as the hidden layer grows, then "
         "as the training images change. “Finding a suitable size of model is very important” (§3)."),
    Step("convolution by hand", "§4 Convolution operation (the 3×3 input and 2×2 kernel)", "kernels.py",
         {"kern_example": _EX000, "kern_row": "0", "kern_col": "0"},
         "The lecture's input [[0,1,2],[3,4,5],[6,7,8]] with kernel [[0,1],[2,3]] gives [[19,25],[37,43]]. "
         "Step the output row and column: 0·0 + 1·1 + 3·2 + 4·3 = 19 is one sum of products."),
    Step("cross-correlation and the flip", "§4 the example's label 'Cross-correlation'", "convolution_1d.py",
         {"c1d_flip_kernel": "0 1; 2 3"},
         "'The kernel flip': laid on the input as printed, the kernel gives the slide's [[19, 25], [37, 43]] "
         "(cross-correlation); turned by 180° first it gives [[5, 11], [23, 29]] (convolution). Keras' Conv2D "
         "computes the first."),
    Step("shared parameters", "§4.1 How to do convolution? (share parameters)", "kernels.py",
         {"kern_image": "ct_head", "kern_preset": "sobel left-to-right"},
         "One 3×3 kernel slid over a whole head CT: the same nine weights at every position find the same "
         "edge anywhere in the image, and each output looks at a small local region only."),
    Step("padding", "§4.2 Padding (valid, same, full)", "kernels.py",
         {"kern_padding": "full", "kern_n": "6", "kern_f": "3", "kern_stride": "1"},
         "In 'Padding, stride and dilation: what moves' switch valid, same and full on a 6×6 input: with "
         "F = 3 same adds 1 ring and full adds 2, as in §4.2. Set F = 5: the rings are (F − 1)/2 and F − 1, "
         "so 1 and 2 hold for 3×3 kernels only."),
    Step("stride", "§4.3 Stride", "kernels.py",
         {"kern_padding": "valid", "kern_n": "6", "kern_f": "3", "kern_stride": "2"},
         "Stride 2 moves the kernel two pixels at a time: on the 6×6 input the valid output shrinks from "
         "4×4 (stride 1) to 2×2. The CT above shows the same reduction on a real image."),
))

LECTURE_001 = Lesson("001", "Deep Learning concepts for Medical Imaging: a shallow overview",
                     "001_7dfbb9175d9d98e3.txt", (
    Step("an exam as the input", "Image Classification (one or more images in, one diagnostic variable out)",
         "medical_images.py", {"mi_scan": "chest_xray"},
         "A real exam from pydicom's corpus: a chest radiograph with its stored values and window. "
         "An exam classifier maps images like this to one diagnostic variable."),
    Step("image classification", "Image Classification", "cnn.py", {"cnn_data": "lesions", "cnn_epochs": "6"},
         "Train a small CNN to answer one question per image (lesion or not) and read the test split's "
         "confusion matrix: exam classification in miniature."),
    Step("transfer learning", "Transfer learning: feature extractor or fine-tuning", "cnn.py",
         {"cnn_tl_n": "16", "cnn_tl_epochs": "8"},
         "Medical datasets are small (hundreds or thousands against millions). In 'Transfer learning with "
         "few images' compare 'head only' (the pretrained net as a feature extractor) with fine-tuning and "
         "with training from scratch on 16 labelled images."),
    Step("global average pooling", "'Can you tell us something about Global Average Pooling?'", "pooling.py", {},
         "'A CNN with global average pooling': each feature map becomes one number; with that head the class "
         "activation map (CAM) shows where the evidence for a class lies. Train it, then compare global "
         "average with global max pooling."),
    Step("the U-Net", "Computer Vision: U-Net (the article's opening figure)", "segmentation.py",
         {"seg_skips": "true"},
         "Tab 'Train': train the U-Net live and watch the validation masks; the encoder works at a lower "
         "resolution, the decoder comes back up, skip connections carry detail across."),
    Step("Upsampling2D and Conv2DTranspose", "Computer Vision: Upsampling2D & Conv2DTranspose layers",
         "segmentation.py", {"seg_up": "upsample_conv"},
         "Tab 'Decoder layers': a transposed convolution against upsampling followed by a convolution, the "
         "two ways a decoder doubles the resolution."),
    Step("Dice and Jaccard", "Understanding Jaccard's Index and Dice Coefficient", "segmentation.py", {},
         "Tab 'Dice': overlap counted as Dice = 2|A∩B| / (|A| + |B|) on the lecture 002 example; the "
         "training tab reports Dice and IoU (Jaccard) side by side."),
))

LECTURE_002 = Lesson("002", "A Primer on Deep Learning based Medical Image Analysis", "002_77614d6b1ffeee3a.txt", (
    Step("the neuron", "mathematical model (weighted sum, threshold, firing rate)", "neuron.py", {},
         "Tab 'Stroke neuron': inputs times weights, summed with the bias, through the sigmoid: the slide's "
         "Neuron.forward with real numbers."),
    Step("activation functions", "Non-linear activation functions", "neuron.py",
         {"neuron_act": "sigmoid,tanh,relu,leaky_relu", "neuron_zr": "12.0"},
         "Tab 'Activation functions': sigmoid, tanh, ReLU and leaky ReLU with their derivatives. Far from 0 "
         "the sigmoid and tanh are flat: they saturate and kill gradients; g'(z) = g(z)(1 − g(z)) > 0."),
    Step("the forward pass as matrices", "Representational power (h1 = f(W1·x + b1), …)", "layers_as_matrices.py",
         {"mx_x1": "0.6", "mx_x2": "-0.4"},
         "One matrix multiplication, a bias offset and an activation per layer, with a real network's W, b "
         "and x written out; move x₁ and x₂ and follow the numbers through."),
    Step("epochs and mini-batches", "Epoch; Mini-batch gradient descent", "gradient_descent.py",
         {"gd_bepochs": "5", "gd_blr": "0.1"},
         "Tab 'Batch size': the same number of epochs with the whole training set, mini-batches and single "
         "points per update; the batch size is a hyperparameter to tune."),
    Step("backpropagation", "Forward pass and backward pass", "backprop.py", {"bp_act": "sigmoid"},
         "∂E/∂y_l = y_l − t_l, then ∂E/∂z = ∂E/∂y · ∂y/∂z and back through the weights, layer by layer, each "
         "number beside what tf.GradientTape computes."),
    Step("transfer learning by data size", "Parameter tuning and transfer learning (the training-size table)",
         "cnn.py", {"cnn_tl_n": "16"},
         "The table: small data, freeze all layers and train the softmax; medium, freeze most; large, "
         "fine-tune all. Compare the strategies at 16 labelled images, then at 192."),
    Step("max and average pooling", "Layers in a convolutional neural network (max vs average pooling)",
         "pooling.py", {"pool_scan": "ct_head", "pool_size": "2", "pool_stride": "2"},
         "Max pooling keeps the largest value of each view, average pooling the mean: both on a head CT. Then "
         "'Stride-2 convolution or pooling'."),
    Step("padding and stride", "Hyperparameters inside the convolutional layer", "kernels.py",
         {"kern_image": "ct_head", "kern_padding": "same", "kern_stride": "2"},
         "The slides' three settings on a head CT: a 3×3 kernel with valid padding, with same padding, and "
         "with stride 2, which halves the output side."),
    Step("parameters of a conv layer", "CONV table: (F × F × C + 1) · K", "kernels.py",
         {"kern_c": "3", "kern_k": "64"},
         "'Why convolution: parameters': a 3×3 layer on C = 3 channels with K = 64 filters has "
         "(3·3·3 + 1)·64 = 1,792 parameters, one bias per filter."),
    Step("the receptive field", "Receptive field: R_k = 1 + Σ (F_j − 1) Π S_i", "receptive_fields.py",
         {"rf_model": "our CNN"},
         "The slide's formula layer by layer: two 3×3 stride-1 convolutions see 1 + 2 + 2 = 5 pixels; each "
         "pooling's stride makes the later layers' fields grow faster. Then the same field in millimetres."),
    Step("residual connections", "Famous CNN model designs: residual connection", "residual.py",
         {"res_blocks": "6"},
         "Plain against residual nets of the same depth: the deeper plain net trains worse (the slide's "
         "20- and 56-layer figure); ∂E/∂x = ∂E/∂y · (1 + F'(x)) keeps a path for the gradient."),
    Step("CheXNet and its heatmap", "CheXNet: chest X-ray in, 121-layer CNN, pneumonia positive (85%)",
         "saliency.py", {},
         "A lesion classifier's Grad-CAM heatmap over its input, and how often its peak falls inside the "
         "nodule: the kind of map CheXNet showed beside its answer."),
    Step("convolutions in segmentation", "Convolutions in segmentation (transpose, convolution, dilated)",
         "segmentation.py", {"seg_up": "transposed"},
         "Tab 'Decoder layers': a transposed convolution upsamples; a dilated convolution keeps the "
         "resolution and widens the receptive field."),
    Step("Adam", "Optimization by Adam optimizer", "gradient_descent.py",
         {"gd_surface": "ravine", "gd_opts": "sgd,momentum,rmsprop,adam"},
         "Tab 'Optimisers': plain SGD zig-zags across the ravine; Adam's moving averages m_t and v_t take it "
         "along the valley."),
    Step("cross-entropy", "Classification loss function and evaluation (CE, binary CE)", "cross_entropy.py", {},
         "'The formula, example by example': CE = −Σ t_i log f(s)_i and its binary form term by term; then "
         "why cross-entropy, not squared error, trains a saturated sigmoid."),
    Step("TPR, FPR and the confusion matrix", "Classification loss function and evaluation (the metrics table)",
         "neuron.py", {"neuron_tau": "0.5"},
         "Tab 'Threshold and ROC': TP, FN (Type II error), FP (Type I error), TN, with TPR = TP/(TP + FN) and "
         "FPR = FP/(TN + FP); move τ and the point moves along the ROC curve."),
    Step("pixel-wise cross-entropy", "Cross entropy loss functions in segmentation", "cross_entropy.py", {},
         "'Pixel-wise cross-entropy over a mask': the log loss of one pixel summed over the classes, repeated "
         "over all pixels and averaged."),
    Step("Dice loss", "Dice loss in segmentation (the 4×4 example)", "segmentation.py", {},
         "Tab 'Dice': |A∩B| = 7.41, |A| = 7.82, |B| = 8, Dice = 2·7.41 / 15.82 = 0.9368; with the optional "
         "squares the soft background terms shrink (0.12 → 0.0144) and Dice rises to 0.9938."),
))

LECTURE_003 = Lesson("003", "Overview of the Fundamentals of Deep Learning Models", "003_be454870954ea697.txt", (
    Step("the sigmoid neuron", "Question 1; Artificial neuron: Sigmoid model (logistic model)", "neuron.py", {},
         "Ask Question 1 (how confident are you with the maths?). Then z = b + w₁x₁ + … + w_px_p and "
         "σ(z) = 1/(1 + e^−z) ∈ (0, 1), term by term in tab 'Stroke neuron'."),
    Step("predict stroke", "Toy example: predict stroke (patients 1 and 2)", "neuron.py", {"neuron_b": "-71.2"},
         "Patient 1: z = 1.9 and σ(1.9) = 0.870; the slide's 0.71 is a slip (σ(0.9)), and its 1/(1 − e^−z) "
         "would give 1.18, not a probability. Patient 2: z = −3.25, σ = 0.037 (the slide's 0.04)."),
    Step("the threshold", "Sigmoid model as a binary classifier; Question 2", "neuron.py", {"neuron_tau": "0.5"},
         "ŷ = 1 if σ(z) > τ. Ask Question 2 (does changing the threshold affect performance?), then move τ "
         "in tab 'Threshold and ROC': the confusion matrix trades false positives for false negatives."),
    Step("a = σ(Wx + b)", "Single hidden layer; Matrix notation", "layers_as_matrices.py", {},
         "Each hidden neuron a_m = σ(w_m·x + b_m); stacked, a = σ(Wx + b), with a real network's W, b and x. "
         "The page asks Question 1 here too, with a question on W's shape."),
    Step("composition of functions", "y = σ(W[2] σ(W[1]x + b[1]) + b[2]) = f[2](f[1](x))",
         "layers_as_matrices.py", {},
         "f_θ = f[2](f[1](x)) evaluated layer by layer gives the network's own output."),
    Step("do inputs interact?", "Question 3", "layers_as_matrices.py", {},
         "'Do inputs interact in one hidden layer?': ask Question 3, then train. A model with no hidden layer "
         "cannot fit xor or x₁·x₂, whose values depend on both inputs together; one hidden layer can."),
    Step("universal approximation", "Why Single Hidden Layer is Useful? Universal Approximation Theorem",
         "universal_approximation.py", {"ua_n": "1,2,4,8,16"},
         "One hidden layer of N neurons fits a smooth curve better as N grows: the theorem's “enough hidden "
         "neurons”, seen."),
    Step("no hidden layer: 3 parameters", "Expressivity: sigmoid model, no hidden layer", "mlp_playground.py",
         {"mlp_data": "circle", "mlp_hidden": "0", "mlp_act": "sigmoid"},
         "Two features x₁, x₂: 2 weights + 1 bias = 3 parameters and one straight boundary. Train it."),
    Step("4 and 10 hidden neurons", "Expressivity: one hidden layer with 4 neurons, with 10 neurons",
         "mlp_playground.py", {"mlp_data": "circle", "mlp_hidden": "4", "mlp_act": "sigmoid"},
         "4×2 + 4 + 4 + 1 = 17 parameters; then type 10 for 10×2 + 10 + 10 + 1 = 41. The parameter table "
         "counts them, the boundary bends more."),
    Step("two hidden layers: 25", "Why not going deep: 2 hidden layers", "mlp_playground.py",
         {"mlp_data": "circle", "mlp_hidden": "4,2", "mlp_act": "sigmoid"},
         "4×2 + 4 + 2×4 + 2 + 2 + 1 = 25 parameters in two hidden layers."),
    Step("why go deep", "Why Go Deep? Shallow vs Deep Representations", "universal_approximation.py",
         {"ua_budget": "150"},
         "A wide net against a deeper one with the same number of parameters: depth builds the function "
         "step by step."),
    Step("expressive, but trainable?", "Question 4; From Expressivity to Learning", "universal_approximation.py",
         {"ua_n": "4,16,64", "ua_epochs": "50"},
         "Ask Question 4 (does expressivity guarantee easy training?). With 50 epochs even 64 neurons fit "
         "badly; set 800: the net could represent the curve all along, training had to find the weights."),
    Step("one weight: y = w·x", "One-parameter model and no bias; tries w = 0.85, 0.65, 0.95",
         "gradient_descent.py", {"gd_w0": "0.65", "gd_steps": "0"},
         "Tab 'One weight': the slide's tries w = 0.85 (C = 5.4), 0.65 (C = 12.3) and 0.95 (C = 4.9) beside "
         "C(w) for the page's five points, and the one parabola through them; 'Step by step' starts at 0.65."),
    Step("gradient descent", "We want to minimize the loss function; Gradient Descent in action",
         "gradient_descent.py", {"gd_w0": "0.2", "gd_alpha": "0.006", "gd_steps": "6"},
         "The slope by rise over run, then θ(t+1) = θ(t) − α∇C(θ(t)) step by step until ∇C ≈ 0; a larger α "
         "overshoots and diverges."),
    Step("loss landscapes", "Loss landscape: two parameters; 3D surface plot and topographical map",
         "loss_landscape.py", {"land_model": "mlp"},
         "The loss around trained weights as a 3-D surface and as a contour map, with the optimiser's path."),
    Step("SGD and mini-batches", "Why Gradient Descent is expensive?", "gradient_descent.py",
         {"gd_bepochs": "5"},
         "Tab 'Batch size': full-batch GD looks at all data every step; mini-batch GD and SGD take many "
         "cheaper, noisier steps per epoch."),
    Step("the global minimum?", "Question 5", "gradient_descent.py", {},
         "Tab 'Global minimum?': ask Question 5 (does gradient descent guarantee the global minimum?), then "
         "count the descents from a grid of starts that end in the worse local minimum."),
    Step("1-D convolution", "Convolution 1D: z_i = w₁x_i + w₂x_{i+1} + w₃x_{i+2}", "convolution_1d.py",
         {"c1d_kernel": "smoothing", "c1d_padding": "valid"},
         "A kernel slid along an ECG-like trace, one output per position: pick the output sample shown and "
         "read its sum of products; try the derivative kernel and the padding."),
    Step("2-D convolution", "Convolution 2D: a 3×3 kernel on a 6×6 input", "kernels.py",
         {"kern_example": _EX003, "kern_row": "0", "kern_col": "0"},
         "The slide's 6×6 input with the vertical-edge kernel gives a 4×4 output starting −11, −4, 9, 12; "
         "step the output row and column through it."),
    Step("classic kernels", "Example of 2d convolution filter (identity, box blur, sharpen, outline, Sobel)",
         "kernels.py", {"kern_image": "ct_head", "kern_preset": "box blur"},
         "Each of the slide's kernels on a head CT; the box blur is the slide's ones divided by 9, so the "
         "image keeps its brightness. Try both Sobel kernels."),
    Step("kernels are learned", "CNN: Kernels are learned; CNN as a Hierarchical Feature Extractor",
         "cnn.py", {"cnn_data": "lesions"},
         "Train and watch the first layer's filters and feature maps change every epoch: convolution layers "
         "extract features, the fully connected layers decide."),
    Step("shared filters, fewer parameters", "Question 6; Why Convolutional Kernels?", "cnn.py",
         {"cnn_data": "lesions"},
         "Ask Question 6 (do CNNs reduce the number of parameters by sharing the same filter?): the answer "
         "counts the first layer's weights against a kernel per position and a dense layer. The kernels "
         "page's parameter section has the lecture's 196,610,001 against 1,792."),
    Step("attention over a note", "Attention: clinical note, query 'symptom', the weights table", "attention.py",
         {"attn_part": "Words"},
         "Query 'symptom' against each word of the note: dot products, softmax weights (0.75 on headache in "
         "the lecture's table) and the context vector c = Σ α_i v_i."),
    Step("attention on images", "Question 7", "attention.py", {"attn_part": "Image patches"},
         "Ask Question 7 (does attention give different importance to parts of the input?), then train the "
         "patch model: its weights gather on the nodule, as a clinician's eye on a suspicious region."),
))

LECTURE_004 = Lesson("004", "Deep learning in radiology: an overview", "004_84db46ee723744ca.txt", (
    Step("what the machine sees", "What machine sees / What human sees", "medical_images.py", {"mi_scan": "ct_head"},
         "A head CT as the machine sees it: a grid of Hounsfield units. The window turns the numbers into "
         "the picture a human reads."),
    Step("supervised and unsupervised", "Supervised learning f(x) = y from labelled data; unsupervised learning",
         "bases.py", {"bases_points": "tumours"},
         "'Supervised and unsupervised: the same points': with labels a classifier learns f(x) = y; without "
         "them k-means finds structure on its own."),
    Step("a CNN as a composition", "Deep learning: Convolution Neural Network, f(x) = f₀(Φ(x))", "cnn.py",
         {"cnn_data": "lesions"},
         "Φ(x) = g(W_k g(… g(W₁x))), with g a ReLU or pooling, is the stack of feature maps; f₀ is the "
         "dense head that decides. Train and look at each layer's maps."),
    Step("invariants", "Invariants: translations, diffeomorphisms (scaling, rotations, …)", "preprocessing.py",
         {"prep_gallery": "head CT"},
         "Section 4: shifted, rotated and zoomed copies of one scan are the same anatomy. Augmentation shows "
         "them to the network so that Φ learns to ignore such changes."),
    Step("a Fourier basis", "f(x) = 5 cos x + 7 cos 2x + cos 4x; Basis: Fourier Transform", "bases.py",
         {"bases_noise": "0.0"},
         "'The Fourier basis': from noiseless samples least squares recovers the coefficients 5, 7 and 1; "
         "raise the noise and watch them drift, beside a network's fit."),
    Step("neurons as a basis", "f(x) = 5 cos x + 7 cos 2x + cos 4x", "universal_approximation.py",
         {"ua_n": "2,4,8,16"},
         "The same curve fit by N tanh neurons: the network learns its own basis functions."),
    Step("principal components", "Approximation by 4 principal components (basis) only", "bases.py",
         {"bases_images": "digits"},
         "'Images from a few principal components': handwritten digits (the lecture's other example) rebuilt "
         "from the mean and k principal components, with the error of each."),
    Step("organ and lesion segmentation", "Deep learning in Computed Tomography: organ segmentation, "
         "liver lesion segmentation", "segmentation.py", {"seg_scan": "liver_mr"},
         "Tab 'Real scans': the U-Net's answer on a real abdominal MR with a marked liver lesion, and the "
         "liver SEG masks of a real study."),
    Step("lung nodule detection", "Lung Nodule Detection; Computed Aided Diagnosis", "saliency.py", {},
         "A nodule classifier's heatmap: where did it look, and how often does the peak fall inside the "
         "nodule?"),
    Step("recurring waveforms", "Electroencephalogram: learn the time-limited waveforms", "convolution_1d.py",
         {"c1d_kernel": "QRS-matched"},
         "A QRS-shaped kernel slid along an ECG-like trace peaks wherever that waveform recurs: a 1-D "
         "convolution finds repeated events in a signal, as a learned kernel does in an EEG."),
))

LESSONS: dict[str, Lesson] = {lesson.lecture: lesson for lesson in
                              (LECTURE_000, LECTURE_001, LECTURE_002, LECTURE_003, LECTURE_004)}
