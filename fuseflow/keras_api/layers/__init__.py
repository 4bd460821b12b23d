"""`keras.layers`: every built-in layer, plus serialization helpers."""

from fuseflow.keras_api.layers.activation import Activation
from fuseflow.keras_api.layers.advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.layers.batch_normalization import BatchNormalization
from fuseflow.keras_api.layers.bidirectional import Bidirectional
from fuseflow.keras_api.layers.conv import Conv
from fuseflow.keras_api.layers.conv1d import Conv1D
from fuseflow.keras_api.layers.conv2d import Conv2D
from fuseflow.keras_api.layers.conv2d_transpose import Conv2DTranspose
from fuseflow.keras_api.layers.cropping2d import Cropping2D
from fuseflow.keras_api.layers.dense import Dense
from fuseflow.keras_api.layers.depthwise_conv2d import DepthwiseConv2D
from fuseflow.keras_api.layers.dot import Dot, dot
from fuseflow.keras_api.layers.dropout import Dropout
from fuseflow.keras_api.layers.embedding import Embedding
from fuseflow.keras_api.layers.flatten import Flatten
from fuseflow.keras_api.layers.gaussian_noise import GaussianNoise
from fuseflow.keras_api.layers.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)
from fuseflow.keras_api.layers.gru import GRU, GRUCell
from fuseflow.keras_api.layers.input_layer import Input, InputLayer
from fuseflow.keras_api.layers.input_spec import InputSpec
from fuseflow.keras_api.layers.lambda_layer import Lambda
from fuseflow.keras_api.layers.layer_normalization import LayerNormalization
from fuseflow.keras_api.layers.lstm import LSTM, LSTMCell
from fuseflow.keras_api.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from fuseflow.keras_api.layers.op_layer import TFOpLambda
from fuseflow.keras_api.layers.permute import Permute
from fuseflow.keras_api.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from fuseflow.keras_api.layers.repeat_vector import RepeatVector
from fuseflow.keras_api.layers.reshape import Reshape
from fuseflow.keras_api.layers.rnn import RNN
from fuseflow.keras_api.layers.separable_conv2d import SeparableConv2D
from fuseflow.keras_api.layers.serialization import deserialize, get_class, serialize
from fuseflow.keras_api.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from fuseflow.keras_api.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D
from fuseflow.keras_api.layers.time_distributed import TimeDistributed
from fuseflow.keras_api.layers.upsampling2d import UpSampling2D
from fuseflow.keras_api.layers.zero_padding2d import ZeroPadding2D

Convolution1D, Convolution2D, Conv2DTranspose_ = Conv1D, Conv2D, Conv2DTranspose
del Conv2DTranspose_
