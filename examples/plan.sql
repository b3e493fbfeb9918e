-- lakeopt plan: run the DDL, then the migrations, in order; then the queries read the new schema.

-- DDL (9 statements)
CREATE SCHEMA iceberg.shop_opt;
CREATE TABLE iceberg.shop_opt.customers (
  customer_id BIGINT,
  name VARCHAR,
  country VARCHAR,
  signup_date DATE
)
WITH (
  format='ORC',
  sorted_by=ARRAY['customer_id']
);
CREATE TABLE iceberg.shop_opt.orders (
  order_id BIGINT,
  customer_id BIGINT,
  order_date DATE,
  status VARCHAR,
  total DECIMAL(12, 2)
)
WITH (
  format='ORC',
  sorted_by=ARRAY['customer_id']
);
CREATE TABLE iceberg.shop_opt.order_items (
  order_id BIGINT,
  product_id BIGINT,
  quantity INTEGER,
  price DECIMAL(10, 2)
)
WITH (
  format='ORC'
);
CREATE MATERIALIZED VIEW iceberg.shop_opt.orders_agg_1 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC') AS SELECT order_date AS order_date, SUM(total) AS m_1, COUNT(*) AS m_2 FROM iceberg.shop_opt.orders WHERE status = 'shipped' GROUP BY order_date;
CREATE MATERIALIZED VIEW iceberg.shop_opt.order_items_agg_1 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC') AS SELECT product_id AS product_id, SUM(quantity) AS m_1, SUM(quantity * price) AS m_2 FROM iceberg.shop_opt.order_items GROUP BY product_id;
CREATE MATERIALIZED VIEW iceberg.shop_opt.orders_agg_2 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC') AS SELECT status AS status, COUNT(*) AS m_1 FROM iceberg.shop_opt.orders GROUP BY status;
CREATE MATERIALIZED VIEW iceberg.shop_opt.customers_agg_1 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC') AS SELECT DATE_TRUNC('MONTH', signup_date) AS k_1, COUNT(*) AS m_1 FROM iceberg.shop_opt.customers GROUP BY DATE_TRUNC('MONTH', signup_date);
CREATE MATERIALIZED VIEW iceberg.shop_opt.orders_block_1 GRACE PERIOD INTERVAL '0' SECOND WITH (format = 'ORC') AS SELECT c.country AS k_1, SUM(o.total) AS a_1 FROM iceberg.shop_opt.orders AS o JOIN iceberg.shop_opt.customers AS c ON o.customer_id = c.customer_id WHERE o.order_date >= CAST('2025-01-01' AS DATE) GROUP BY c.country;

-- Migrations (8 statements)
INSERT INTO iceberg.shop_opt.customers (
  customer_id,
  name,
  country,
  signup_date
)
SELECT
  customer_id,
  name,
  country,
  signup_date
FROM iceberg.shop.customers;
INSERT INTO iceberg.shop_opt.orders (
  order_id,
  customer_id,
  order_date,
  status,
  total
)
SELECT
  order_id,
  customer_id,
  order_date,
  status,
  total
FROM iceberg.shop.orders;
INSERT INTO iceberg.shop_opt.order_items (
  order_id,
  product_id,
  quantity,
  price
)
SELECT
  order_id,
  product_id,
  quantity,
  price
FROM iceberg.shop.order_items;
REFRESH MATERIALIZED VIEW iceberg.shop_opt.orders_agg_1;
REFRESH MATERIALIZED VIEW iceberg.shop_opt.order_items_agg_1;
REFRESH MATERIALIZED VIEW iceberg.shop_opt.orders_agg_2;
REFRESH MATERIALIZED VIEW iceberg.shop_opt.customers_agg_1;
REFRESH MATERIALIZED VIEW iceberg.shop_opt.orders_block_1;

-- Queries (6 queries)

-- query daily-revenue
SELECT
  order_date,
  SUM(m_1) AS revenue,
  SUM(m_2) AS orders
FROM iceberg.shop_opt.orders_agg_1
GROUP BY
  order_date
ORDER BY
  order_date;

-- query revenue-by-country
SELECT
  k_1 AS country,
  a_1 AS revenue
FROM iceberg.shop_opt.orders_block_1
ORDER BY
  revenue DESC;

-- query customer-orders
SELECT
  order_id,
  order_date,
  status,
  total
FROM iceberg.shop_opt.orders
WHERE
  customer_id = 4211
ORDER BY
  order_date DESC
LIMIT 20;

-- query top-products
SELECT
  product_id,
  SUM(m_1) AS units,
  SUM(m_2) AS revenue
FROM iceberg.shop_opt.order_items_agg_1
GROUP BY
  product_id
ORDER BY
  revenue DESC
LIMIT 10;

-- query orders-by-status
SELECT
  status,
  SUM(m_1) AS orders
FROM iceberg.shop_opt.orders_agg_2
GROUP BY
  status;

-- query monthly-signups
SELECT
  k_1 AS month,
  SUM(m_1) AS signups
FROM iceberg.shop_opt.customers_agg_1
GROUP BY
  1
ORDER BY
  1;
