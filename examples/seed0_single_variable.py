import tapegrad as tf

x = tf.Variable(20.0, name="hours_worked")
with tf.GradientTape() as tape:
    f = lambda x: 0.25 * x**2 + 500
    result = f(x)
print("Watched variables:")
print(tape.watched_variables())
print("\nDerivative of f(x) at x = 20:")
print(tape.gradient(result, x))
