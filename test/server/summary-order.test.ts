import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summaryOrder } from '../../src/server/relay/summary-order.js';

test('summaryOrder: a later version passes, the same passes again, an older one of that conversation is dropped', () => {
  const order = summaryOrder();
  assert.equal(order.fresh({ id: 'a', version: 3 }), true);
  assert.equal(order.fresh({ id: 'a', version: 3 }), true);
  assert.equal(order.fresh({ id: 'a', version: 2 }), false);
  assert.equal(order.fresh({ id: 'b', version: 0 }), true, 'another conversation has its own order');
  assert.equal(order.fresh({ id: 'a', version: 5 }), true);
  assert.equal(order.fresh({ id: 'a', version: 4 }), false);
});

test('summaryOrder: past the conversations it remembers it starts over instead of growing', () => {
  const order = summaryOrder(2);
  order.fresh({ id: 'a', version: 9 });
  order.fresh({ id: 'b', version: 1 });
  assert.equal(order.fresh({ id: 'a', version: 8 }), false);
  order.fresh({ id: 'c', version: 1 });
  assert.equal(order.fresh({ id: 'a', version: 8 }), true, 'forgotten: let through (the dashboard still checks against its list)');
});
