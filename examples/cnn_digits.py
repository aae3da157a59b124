"""A small convolutional network on scikit-learn's 8x8 digits (bundled with scikit-learn: no download),
trained with a GradientTape loop, as in TensorFlow.

Run it with `python3 examples/cnn_digits.py [EPOCHS]` (about ten seconds for the default 4 epochs). It needs
scikit-learn: `pip install 'tapegrad[train]'`. Only the import line differs from the TensorFlow program.
"""

import sys

import numpy as np

import tapegrad as tf

try:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
except ImportError:
    sys.exit("This example needs scikit-learn: pip install 'tapegrad[train]'")

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 4

digits = load_digits()
images = (digits.images / 16.0).astype("float32")[..., np.newaxis]  # (1797, 8, 8, 1), channels last
x_train, x_test, y_train, y_test = train_test_split(images, digits.target, test_size=0.2, stratify=digits.target,
                                                    random_state=0)

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    tf.keras.layers.MaxPooling2D(2),
    tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    tf.keras.layers.MaxPooling2D(2),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10),
])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(learning_rate=0.005)
accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

batch_size = 64
for epoch in range(epochs):
    order = np.random.default_rng(epoch).permutation(len(x_train))
    for start in range(0, len(x_train), batch_size):
        batch = order[start:start + batch_size]
        with tf.GradientTape() as tape:
            logits = model(x_train[batch], training=True)
            loss = loss_fn(y_train[batch], logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    accuracy.reset_state()
    accuracy.update_state(y_test, model(x_test, training=False))
    print(f"epoch {epoch + 1}: loss {float(loss):.4f}, test accuracy {float(accuracy.result()):.3f}")

model.summary()
