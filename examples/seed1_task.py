import tapegrad as tf

# 1. Define the variable x at the point where you want to compute the derivative
x = tf.Variable(2.0)

# 2. Use Gradient Tape to record the computation of the function f(x)
with tf.GradientTape() as tape:
    # f(x) = x^2 + 2x - 1
    y = x**2 + 2 * x - 1

# 3. Calculate the gradient of f(x) at the specified point
grad = tape.gradient(y, x)

print(f'Result of f(x) at x = 2: {y}')
print(f'The derivative of f(x) at x = 2 is: {grad.numpy()}')
