import tapegrad as tf

x = tf.Variable(25.0, name='hours_worked')
y = tf.Variable(6.0, name='compliments_given')
with tf.GradientTape() as tape:
    f = lambda x, y: (0.25 * x**2 + 500) + (50 * tf.math.log(y+1))
    result = f(x, y)
print("Watched variables:")
print(tape.watched_variables())
print("\nDerivative of f(x, y) at x = 25 and y = 6:")
print(tape.gradient(result, (x, y)))
