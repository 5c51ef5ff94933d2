import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  /** A new order awaiting payment. */
  open(customerId: string, amount: string): Promise<Order> {
    return this.orders.save(
      this.orders.create({ customerId, amount, status: 'pending', paymentRef: null, trackingNumber: null }),
    );
  }

  markPaid(order: Order, paymentRef: string): Promise<Order> {
    order.paymentRef = paymentRef;
    order.status = 'paid';
    return this.orders.save(order);
  }

  markShipped(order: Order, trackingNumber: string): Promise<Order> {
    order.trackingNumber = trackingNumber;
    order.status = 'shipped';
    return this.orders.save(order);
  }

  markFailed(order: Order): Promise<Order> {
    order.status = 'failed';
    return this.orders.save(order);
  }

  async findOne(id: number): Promise<Order> {
    // An id past the INT column's range would make PostgreSQL fail the query rather than find nothing.
    const order = id >= 1 && id <= 2_147_483_647 ? await this.orders.findOneBy({ id }) : null;
    if (!order) throw new NotFoundException(`order ${id} does not exist`);
    return order;
  }
}
